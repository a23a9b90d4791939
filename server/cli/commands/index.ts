// One import per feature module; each calls registerCommand. Keep this list sorted.
import './capture.ts';
import './lab.ts';
import './matrix.ts';
import './probe.ts';
