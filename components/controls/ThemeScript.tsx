import { THEME_BOOT_SCRIPT } from "./theme";

/**
 * Put inside <head> in app/layout.tsx: applies the stored theme before the page paints.
 * (Also add `suppressHydrationWarning` on <html>, since the attribute is set before React hydrates.)
 */
export function ThemeScript() {
  // biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script we own, needed before hydration.
  return <script dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />;
}
