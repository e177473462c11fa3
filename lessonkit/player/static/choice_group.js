// The options of a single- or multiple-choice check: native radio buttons or check boxes in a
// fieldset, each with a real <label>, so that the keyboard (Tab, arrows, Space), screen readers and
// a click on the text all work as they do in any form.  An option's label is HTML the kernel
// rendered from the teacher's Markdown with raw HTML escaped (lessonkit/player/rendering.py); it
// is the only markup set here, and it wraps instead of being cut off.
//
// The boxes the student ticked are what is shown until the kernel has taken every tick.  Each tick
// goes to the kernel numbered (`seq`), and the kernel sends back the number of the last one it took
// with its `value`.  A `value` that comes with an older number predates a tick still on its way:
// the kernel's echo of an earlier tick, or the state the widget manager fetches again when the
// kernel's connection is restored.  Drawing it would untick a box the student just ticked, and
// the next tick, read from the boxes, would then send the kernel a choice without it.
let groups = 0;

function render({ model, el }) {
  const fieldset = document.createElement("fieldset");
  fieldset.className = "lessonkit-choices";
  const legend = document.createElement("legend");
  const name = `lessonkit-choice-${++groups}`;
  let sent = model.get("seq"); // the number of this page's last tick
  let shown = model.get("value"); // what the boxes show

  function inputs() {
    return [...fieldset.querySelectorAll("input")];
  }

  function picked() {
    return inputs().filter((i) => i.checked).map((i) => Number(i.value));
  }

  function tick() {
    // a custom message, not save_changes(): ipywidgets holds back a model's state while an
    // earlier change of it is unanswered, but not a button's click, so on a busy kernel the
    // Check could arrive before the last tick; messages are handled in the order they are sent
    shown = picked();
    sent = Math.max(sent, model.get("seq")) + 1;
    model.send({ picked: shown, seq: sent });
  }

  function draw() {
    legend.textContent = model.get("label");
    const type = model.get("multiple") ? "checkbox" : "radio";
    const chosen = new Set(shown);
    const rows = model.get("options_html").map((labelHtml, n) => {
      const row = document.createElement("div");
      row.className = "lessonkit-choice";
      const input = document.createElement("input");
      Object.assign(input, { type, name, id: `${name}-${n}`, value: String(n), checked: chosen.has(n) });
      input.disabled = model.get("disabled");
      input.addEventListener("change", tick);
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.innerHTML = labelHtml;
      row.append(input, label);
      return row;
    });
    fieldset.replaceChildren(legend, ...rows);
  }

  function update() {
    if (model.get("seq") >= sent) { // the kernel has every tick: its value is the choice
      shown = model.get("value");
    }
    const chosen = new Set(shown);
    for (const input of inputs()) {
      input.checked = chosen.has(Number(input.value));
      input.disabled = model.get("disabled");
    }
  }

  const redraws = ["change:options_html", "change:multiple", "change:label"];
  const updates = ["change:value", "change:seq", "change:disabled"];
  redraws.forEach((event) => model.on(event, draw));
  updates.forEach((event) => model.on(event, update));
  draw();
  el.append(fieldset);
  return () => {
    redraws.forEach((event) => model.off(event, draw));
    updates.forEach((event) => model.off(event, update));
  };
}

export default { render };
