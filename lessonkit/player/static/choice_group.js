// The options of a single- or multiple-choice check: native radio buttons or check boxes in a
// fieldset, each with a real <label>, so that the keyboard (Tab, arrows, Space), screen readers and
// a click on the text all work as they do in any form.  An option's label is HTML the kernel
// rendered from the teacher's Markdown with raw HTML escaped (lessonkit/player/rendering.py); it
// is the only markup set here, and it wraps instead of being cut off.
let groups = 0;

function render({ model, el }) {
  const fieldset = document.createElement("fieldset");
  fieldset.className = "lessonkit-choices";
  const legend = document.createElement("legend");
  const name = `lessonkit-choice-${++groups}`;

  function picked() {
    return [...fieldset.querySelectorAll("input")].filter((i) => i.checked).map((i) => Number(i.value));
  }

  function draw() {
    legend.textContent = model.get("label");
    const type = model.get("multiple") ? "checkbox" : "radio";
    const chosen = new Set(model.get("value"));
    const rows = model.get("options_html").map((labelHtml, n) => {
      const row = document.createElement("div");
      row.className = "lessonkit-choice";
      const input = document.createElement("input");
      Object.assign(input, { type, name, id: `${name}-${n}`, value: String(n), checked: chosen.has(n) });
      input.disabled = model.get("disabled");
      input.addEventListener("change", () => {
        // a custom message, not save_changes(): ipywidgets holds back a model's state while an
        // earlier change of it is unanswered, but not a button's click, so on a busy kernel the
        // Check could arrive before the last tick; messages are handled in the order they are sent
        const value = picked();
        model.set("value", value);
        model.send({ picked: value });
      });
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.innerHTML = labelHtml;
      row.append(input, label);
      return row;
    });
    fieldset.replaceChildren(legend, ...rows);
  }

  function check() {
    const chosen = new Set(model.get("value"));
    for (const input of fieldset.querySelectorAll("input")) {
      input.checked = chosen.has(Number(input.value));
      input.disabled = model.get("disabled");
    }
  }

  model.on("change:options_html", draw);
  model.on("change:multiple", draw);
  model.on("change:label", draw);
  model.on("change:value", check);
  model.on("change:disabled", check);
  draw();
  el.append(fieldset);
  return () => {
    model.off("change:options_html", draw);
    model.off("change:multiple", draw);
    model.off("change:label", draw);
    model.off("change:value", check);
    model.off("change:disabled", check);
  };
}

export default { render };
