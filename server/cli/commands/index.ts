// One import per feature module; each calls registerCommand. Keep this list sorted.
import './lab.ts';
