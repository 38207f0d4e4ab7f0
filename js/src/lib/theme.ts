// Colours and fonts from JupyterLab's CSS variables, with light fallbacks (standalone HTML, Voila).
export interface Theme {
  font: string;
  fontSize: number;
  text: string;
  mutedText: string;
  background: string;
  border: string;
  accent: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readTheme(el: Element): Theme {
  const s = getComputedStyle(el);
  return {
    font: cssVar(s, "--jp-ui-font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"),
    fontSize: 11,
    text: cssVar(s, "--jp-ui-font-color1", "rgba(0, 0, 0, 0.87)"),
    mutedText: cssVar(s, "--jp-ui-font-color2", "rgba(0, 0, 0, 0.54)"),
    background: cssVar(s, "--jp-layout-color0", "#ffffff"),
    border: cssVar(s, "--jp-border-color1", "#bdbdbd"),
    accent: cssVar(s, "--jp-brand-color1", "#1976d2"),
  };
}
