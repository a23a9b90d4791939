'use client';
// Form pieces for the inspector. Each field shows the validator's sentences for its path.
import { useEffect, useState, type ReactNode } from 'react';
import { Icon } from '../icons';

export function Errors({ messages }: { messages: string[] }) {
  if (!messages.length) return null;
  return <>{messages.map((m) => <div key={m} className="field-error" role="alert">{m}</div>)}</>;
}

interface TextProps {
  label?: string;
  value: string | undefined;
  onChange(v: string): void;
  errors?: string[];
  placeholder?: string;
  testid?: string;
  width?: string;
  title?: string;
}

export function TextField({ label, value, onChange, errors = [], placeholder, testid, width, title }: TextProps) {
  return (
    <label className="block min-w-0" style={{ width }} title={title}>
      {label && <span className="muted mb-0.5 block text-[11px]">{label}</span>}
      <input className="input" value={value ?? ''} placeholder={placeholder} spellCheck={false} autoComplete="off"
        aria-invalid={errors.length > 0} data-testid={testid} onChange={(e) => onChange(e.target.value)} />
      <Errors messages={errors} />
    </label>
  );
}

/** A text field that commits on Enter or blur (renames: every keystroke would be a new node id). */
export function CommitField({ label, value, onCommit, check, testid }: { label: string; value: string; onCommit(v: string): void; check?: (v: string) => string | null; testid?: string }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const problem = draft !== value && check ? check(draft) : null;
  const commit = () => { if (draft !== value && !problem) onCommit(draft); };
  return (
    <label className="block">
      <span className="muted mb-0.5 block text-[11px]">{label}</span>
      <input className="input" value={draft} spellCheck={false} aria-invalid={!!problem} data-testid={testid}
        onChange={(e) => setDraft(e.target.value)} onBlur={commit}
        onKeyDown={(e) => { if (e.key === 'Enter') commit(); if (e.key === 'Escape') setDraft(value); }} />
      {problem && <div className="field-error">{problem}</div>}
    </label>
  );
}

export function NumberField({ label, value, onChange, errors = [], placeholder, testid, width }: {
  label?: string; value: number | undefined; onChange(v: number | undefined): void; errors?: string[]; placeholder?: string; testid?: string; width?: string;
}) {
  const [text, setText] = useState(value === undefined || Number.isNaN(value) ? '' : String(value));
  useEffect(() => {
    if (value === undefined) setText((t) => (t.trim() === '' ? t : ''));
    else if (!Number.isNaN(value) && Number(text) !== value) setText(String(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <label className="block min-w-0" style={{ width }}>
      {label && <span className="muted mb-0.5 block text-[11px]">{label}</span>}
      <input className="input" inputMode="numeric" value={text} placeholder={placeholder} aria-invalid={errors.length > 0} data-testid={testid}
        onChange={(e) => { setText(e.target.value); onChange(e.target.value.trim() === '' ? undefined : Number(e.target.value)); }} />
      <Errors messages={errors} />
    </label>
  );
}

export function SelectField<T extends string>({ label, value, options, onChange, testid, width, errors = [] }: {
  label?: string; value: T | undefined; options: readonly (T | { value: T; label: string })[]; onChange(v: T): void; testid?: string; width?: string; errors?: string[];
}) {
  return (
    <label className="block min-w-0" style={{ width }}>
      {label && <span className="muted mb-0.5 block text-[11px]">{label}</span>}
      <select className="input" value={value ?? ''} data-testid={testid} aria-invalid={errors.length > 0} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => {
          const v = typeof o === 'string' ? o : o.value;
          return <option key={v} value={v}>{typeof o === 'string' ? (o === '' ? '—' : o) : o.label}</option>;
        })}
      </select>
      <Errors messages={errors} />
    </label>
  );
}

export function Check({ label, checked, onChange, testid, hint }: { label: ReactNode; checked: boolean; onChange(v: boolean): void; testid?: string; hint?: string }) {
  return (
    <label className="flex items-center gap-2 py-0.5" title={hint}>
      <input type="checkbox" checked={checked} data-testid={testid} onChange={(e) => onChange(e.target.checked)} />
      <span>{label}</span>
    </label>
  );
}

export function Section({ title, children, action, count, defaultOpen = true, testid }: {
  title: string; children: ReactNode; action?: ReactNode; count?: number; defaultOpen?: boolean; testid?: string;
}) {
  const [open, setOpen] = useState(defaultOpen);
  return (
    <section className="border-t px-3 py-2" style={{ borderColor: 'var(--border)' }} data-testid={testid}>
      <div className="flex items-center gap-2">
        <button className="section-title flex items-center gap-1" onClick={() => setOpen(!open)} aria-expanded={open}>
          <span style={{ display: 'inline-block', transform: open ? 'rotate(90deg)' : 'none', transition: 'transform .1s' }}>›</span>
          {title}{count ? <span className="chip" style={{ height: 16 }}>{count}</span> : null}
        </button>
        <div className="ml-auto">{action}</div>
      </div>
      {open && <div className="mt-2 flex flex-col gap-2">{children}</div>}
    </section>
  );
}

export function AddButton({ onClick, children, testid }: { onClick(): void; children: ReactNode; testid?: string }) {
  return <button className="btn" style={{ height: 22, padding: '0 7px', fontSize: 11.5 }} onClick={onClick} data-testid={testid}>+ {children}</button>;
}

export function RemoveButton({ onClick, title = 'remove' }: { onClick(): void; title?: string }) {
  return (
    <button className="btn btn-icon flex-none" style={{ width: 24, height: 28 }} onClick={onClick} title={title} aria-label={title}>
      <span style={{ transform: 'scale(.8)', display: 'inline-flex' }}>{Icon.close}</span>
    </button>
  );
}

export function Row({ children }: { children: ReactNode }) {
  return <div className="flex items-start gap-1.5">{children}</div>;
}

/** A list of addresses (CIDRs), each its own field with its own errors. */
export function AddressList({ values, onChange, errorsAt, pathPrefix, testid, placeholder = '10.0.0.101/24' }: {
  values: string[]; onChange(v: string[]): void; errorsAt(path: string): string[]; pathPrefix: string; testid: string; placeholder?: string;
}) {
  return (
    <div className="flex flex-col gap-1">
      {values.map((v, j) => (
        <Row key={j}>
          <TextField value={v} placeholder={placeholder} errors={errorsAt(`${pathPrefix}[${j}]`)} testid={`${testid}-${j}`}
            onChange={(x) => onChange(values.map((y, k) => (k === j ? x : y)))} />
          <RemoveButton onClick={() => onChange(values.filter((_, k) => k !== j))} title="remove address" />
        </Row>
      ))}
      <div><AddButton onClick={() => onChange([...values, ''])} testid={`${testid}-add`}>address</AddButton></div>
    </div>
  );
}
