import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'nsplay — Linux container networking playground',
  description: 'Draw namespaces, veths, bridges and NAT; nsplay builds them in the real kernel.',
};

// The theme is set before first paint so a dark-mode user never sees a white flash.
const themeScript = `try{var t=localStorage.getItem('nsplay-theme');if(t==='dark'||(!t&&matchMedia('(prefers-color-scheme: dark)').matches))document.documentElement.classList.add('dark')}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
