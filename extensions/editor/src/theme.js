/**
 * The editor's light theme and syntax colours.
 *
 * Students read code here for a whole lesson, on projectors and cheap screens, so every text
 * colour keeps a contrast of at least 4.5:1 (WCAG AA) against the editor's background and
 * against the active-line highlight; CodeMirror's defaultHighlightStyle does not (its escape
 * and invalid colours fall under 4.5:1). The focus ring is bold so that keyboard users can
 * see where they are. Rules on the editor itself say "&.cm-editor" to outrank JupyterLab's own
 * `.cm-editor` rules (border: 0, its font size, `outline: unset` on focus), which Voila loads too.
 */
import { EditorView } from "@codemirror/view";
import { HighlightStyle } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

const colors = {
  text: "#1f2328",
  background: "#ffffff",
  activeLine: "#eef3fa",
  gutterBackground: "#f6f8fa",
  gutterText: "#57606a",
  border: "#6e7781",
  focus: "#0969da",
  placeholder: "#59636e",
  keyword: "#8a1bab",
  constant: "#1f4fa6",
  number: "#0b6a4f",
  string: "#a31515",
  escape: "#9a4400",
  comment: "#3b6e3b",
  definition: "#0040c0",
  className: "#176a80",
  invalid: "#c00000",
};

export const lightTheme = EditorView.theme(
  {
    "&.cm-editor": {
      color: colors.text,
      backgroundColor: colors.background,
      border: `1px solid ${colors.border}`,
      borderRadius: "4px",
      fontSize: "14px",
    },
    // Drawn inside the border: ipywidgets boxes scroll (overflow: auto) and clip what is outside.
    "&.cm-editor.cm-focused": { outline: `2px solid ${colors.focus}`, outlineOffset: "-2px" },
    "&.cm-editor.lk-disabled": { backgroundColor: colors.gutterBackground },
    ".cm-scroller": {
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace",
      lineHeight: "1.5",
    },
    // --lk-editor-rows is set from the widget's `rows` trait.
    ".cm-content, .cm-gutter": { minHeight: "calc(var(--lk-editor-rows, 4) * 1.5em)" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: colors.text },
    ".cm-activeLine": { backgroundColor: "transparent" },
    "&.cm-focused .cm-activeLine": { backgroundColor: colors.activeLine },
    ".cm-gutters": {
      backgroundColor: colors.gutterBackground,
      color: colors.gutterText,
      borderRight: `1px solid ${colors.border}`,
    },
    ".cm-activeLineGutter": { backgroundColor: "transparent" },
    "&.cm-focused .cm-activeLineGutter": { backgroundColor: colors.activeLine, color: colors.text },
    ".cm-placeholder": { color: colors.placeholder },
  },
  { dark: false },
);

export const lightHighlight = HighlightStyle.define([
  { tag: [t.keyword, t.modifier, t.meta], color: colors.keyword },
  { tag: [t.bool, t.null, t.atom, t.self], color: colors.constant },
  { tag: t.number, color: colors.number },
  { tag: t.string, color: colors.string },
  { tag: t.escape, color: colors.escape },
  { tag: t.comment, color: colors.comment, fontStyle: "italic" },
  { tag: t.definition(t.className), color: colors.className, fontWeight: "bold" },
  { tag: t.function(t.definition(t.variableName)), color: colors.definition, fontWeight: "bold" },
  { tag: t.invalid, color: colors.invalid },
]);
