/**
 * Front-end of lessonkit.player.editor.CodeEditor, an anywidget module.
 *
 * One CodeMirror 6 view per displayed widget. The student's text goes to the kernel through the
 * `value` trait, debounced (every keystroke would be one comm message, and a check only needs
 * the code when the student stops typing) but flushed when the editor loses focus, so that a
 * click on a "Check" button never submits stale code. A `value` set by the kernel replaces the
 * text and wins over keystrokes not yet sent.
 *
 * Keyboard: Tab indents (a student writing Python needs it more than focus navigation), so, as
 * everywhere in CodeMirror, Escape then Tab (or Shift-Tab) leaves the editor; Ctrl-M
 * (Shift-Alt-M on macOS) switches Tab to moving focus until pressed again.
 */
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { Annotation, Compartment, EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { lightHighlight, lightTheme } from "./theme.js";

const SYNC_DELAY_MS = 250;
const languages = { python };

/** Marks transactions that apply the kernel's value, so they are not sent back. */
const fromKernel = Annotation.define();

/** The parts of the configuration that follow the traits `label`, `placeholder`, `disabled`. */
function traitExtensions(model) {
  const disabled = model.get("disabled");
  const text = model.get("placeholder");
  return [
    EditorView.contentAttributes.of({ "aria-label": model.get("label") }),
    EditorState.readOnly.of(disabled),
    EditorView.editable.of(!disabled),
    disabled ? EditorView.editorAttributes.of({ class: "lk-disabled" }) : [],
    text ? placeholder(text) : [],
  ];
}

function render({ model, el }) {
  const traits = new Compartment();
  let timer = null;

  function flush() {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    model.set("value", view.state.doc.toString());
    model.save_changes();
  }

  const view = new EditorView({
    parent: el,
    state: EditorState.create({
      doc: model.get("value"),
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        languages[model.get("language")](),
        lightTheme,
        syntaxHighlighting(lightHighlight),
        traits.of(traitExtensions(model)),
        EditorView.updateListener.of((update) => {
          const typed = (tr) => tr.docChanged && !tr.annotation(fromKernel);
          if (update.transactions.some(typed)) {
            clearTimeout(timer);
            timer = setTimeout(flush, SYNC_DELAY_MS);
          }
        }),
        // The DOM event, not the view's focusChanged (reported 10 ms later): a click on a
        // button blurs the editor before the click's own message goes to the kernel.
        EditorView.domEventHandlers({ blur: flush }),
      ],
    }),
  });

  function onValue() {
    const value = model.get("value");
    if (value === view.state.doc.toString()) return;
    clearTimeout(timer);
    timer = null;
    view.dispatch({
      changes: { from: 0, to: view.state.doc.length, insert: value },
      annotations: fromKernel.of(true),
    });
  }

  function onTraits() {
    view.dispatch({ effects: traits.reconfigure(traitExtensions(model)) });
  }

  function onRows() {
    el.style.setProperty("--lk-editor-rows", String(model.get("rows")));
  }

  el.classList.add("lessonkit-code-editor");
  onRows();
  model.on("change:value", onValue);
  model.on("change:label change:placeholder change:disabled", onTraits);
  model.on("change:rows", onRows);
  // anywidget removes the model listeners itself when the view goes away.
  return () => {
    flush();
    view.destroy();
  };
}

export default { render };
