// The assistant chat: posts the question and shows the answer as it
// streams (server-sent events over fetch), then its citations as links.
(function () {
  const form = document.querySelector("form#ask");
  if (!form) return;
  const log = document.querySelector("#chat");
  let conversation = "";
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = form.querySelector("textarea[name=question]");
    const question = input.value.trim();
    if (!question) return;
    const mine = document.createElement("div");
    mine.className = "msg user";
    mine.textContent = question;
    log.appendChild(mine);
    const answer = document.createElement("div");
    answer.className = "msg answer";
    answer.setAttribute("aria-live", "polite");
    log.appendChild(answer);
    input.value = "";
    const body = new URLSearchParams({ question, conversation_id: conversation, task_id: form.dataset.task || "" });
    const resp = await fetch(form.action, { method: "POST", body, headers: { Accept: "text/event-stream" } });
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = (block.match(/^event: (.*)$/m) || [])[1];
        const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "{}");
        if (event === "delta") answer.textContent += data.text;
        if (event === "error") answer.textContent = data.detail;
        if (event === "done") {
          conversation = data.conversation_id || conversation;
          answer.dataset.conversation = conversation; // for "Ask my CSM" (conversations, below)
          if (data.html !== undefined) {
            answer.innerHTML = data.html; // rendered and sanitised by the server
            answer.classList.add("markdown");
          } else {
            answer.textContent = data.answer;
          }
          if (data.citations && data.citations.length) {
            const cites = document.createElement("p");
            cites.className = "citations";
            cites.append("Sources: ");
            for (const c of data.citations) {
              const a = document.createElement("a");
              a.textContent = c.title;
              a.href = (c.type === "article" ? form.dataset.kb : form.dataset.tasks) + "/" + c.id +
                (c.type === "article" && /^sec-[\p{Ll}\p{Lo}\p{N}-]+$/u.test(c.anchor || "") ? "#" + c.anchor : "");
              a.className = "citation";
              cites.appendChild(a);
            }
            answer.appendChild(cites);
          }
          answer.dataset.done = "true";
        }
      }
    }
  });
})();

// The article editor's preview follows the text as it is typed: the
// server renders it, with the same renderer as the article's page (without
// script, the Preview button does the same). A slower answer to an earlier
// text never replaces a later one.
(function () {
  const content = document.querySelector("#editor #content");
  const preview = document.querySelector("#preview");
  if (!content || !preview) return;
  let timer, latest = 0;
  content.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++latest;
      try {
        const resp = await fetch(preview.dataset.src, { method: "POST", body: new URLSearchParams({ content: content.value }) });
        if (!resp.ok || resp.redirected || mine !== latest) return; // signed out: a sign-in page is no preview
        const html = await resp.text();
        if (mine === latest) preview.innerHTML = html; // sanitised by the server
      } catch (e) {
        // The preview waits for the next keystroke or the Preview button.
      }
    }, 250);
  });
})();

// ---- phones and narrow screens ----



// ---- customers and contacts ----



// ---- project page: task table, timeline ----
// A task's status changes in place: choosing a status saves it at once,
// but "blocked" first asks why (its reason field and Save button appear
// only then). The bulk form shows its reason field only for "blocked" too,
// and counts the rows selected. Without script, every reason field and
// button is there and works.
(function () {
  for (const form of document.querySelectorAll("form.status-form, form.bulk-form")) {
    const select = form.querySelector("select.status-select");
    const reason = form.querySelector(".reason-field");
    if (!select || !reason) continue;
    const input = reason.querySelector("input");
    const instant = form.classList.contains("status-form");
    const button = instant ? form.querySelector("button[type=submit]") : null;
    const sync = () => {
      const blocked = select.value === "blocked";
      reason.hidden = !blocked;
      input.disabled = !blocked; // a hidden reason is not sent
      if (button) button.hidden = !blocked;
      return blocked;
    };
    sync();
    select.addEventListener("change", () => {
      if (sync()) {
        input.focus();
      } else if (instant) {
        form.requestSubmit();
      }
    });
  }
  const bulk = document.querySelector("form#bulk");
  if (!bulk) return;
  const count = bulk.querySelector(".selected-count");
  const boxes = Array.from(document.querySelectorAll('input[type=checkbox][form="bulk"]'));
  const update = () => {
    const n = boxes.filter((b) => b.checked).length;
    count.textContent = n === 1 ? "1 task selected" : n + " tasks selected";
  };
  for (const b of boxes) b.addEventListener("change", update);
  update();
})();



// ---- dependencies and templates ----
// The task page's edit form offers to move the tasks that wait on the task
// only once its due date changes (without script the offer is always there,
// and it does nothing unless the date changes).
(function () {
  const due = document.querySelector("#edit-due_at");
  const row = document.querySelector("#shift-row");
  if (!due || !row) return;
  const sync = () => { row.hidden = due.value === due.dataset.was; };
  due.addEventListener("input", sync);
  due.addEventListener("change", sync);
  sync();
})();



// templates
// The template editor: "Add a row" under each phase copies its empty row
// with a number and an id of its own (without script, each phase has one
// empty row, and saving brings new ones).
(function () {
  const editor = document.querySelector("form#template-editor");
  if (!editor) return;
  const newID = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  };
  let next = 0;
  editor.querySelectorAll("tr.task-row").forEach((tr) => { next = Math.max(next, Number(tr.dataset.row) + 1); });
  editor.querySelectorAll("tbody.phase-group").forEach((group) => {
    const blanks = group.querySelectorAll("tr.task-row.blank");
    if (!blanks.length) return;
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 9;
    td.dataset.label = "Add";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary add-row";
    button.textContent = "Add a row";
    td.appendChild(button);
    tr.appendChild(td);
    group.appendChild(tr);
    button.addEventListener("click", () => {
      const from = group.querySelectorAll("tr.task-row.blank");
      const model = from[from.length - 1];
      const n = next++;
      const old = model.dataset.row;
      const row = model.cloneNode(true);
      row.dataset.row = String(n);
      row.id = "row-" + n;
      row.classList.remove("invalid");
      row.querySelectorAll(".error").forEach((e) => e.remove());
      row.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach((el) => {
        for (const a of ["name", "id", "for", "aria-describedby"]) {
          const v = el.getAttribute(a);
          if (v) el.setAttribute(a, v.replace("tasks[" + old + "]", "tasks[" + n + "]").replace("t" + old + "-", "t" + n + "-"));
        }
        el.removeAttribute("aria-invalid");
      });
      const texts = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      for (let t = texts.nextNode(); t; t = texts.nextNode()) t.data = t.data.replace("new row " + (Number(old) + 1), "new row " + (n + 1));
      row.querySelector("input[name$='.id']").value = newID();
      row.querySelector("input[name$='.description']").value = "";
      row.querySelector("textarea[name$='.details']").value = "";
      row.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = false; });
      // Rows are saved in the order of their numbers, and this one's is the
      // highest: its position puts it after the task shown above it.
      let above = 0;
      for (const tr of editor.querySelectorAll("tr.task-row")) {
        if (tr === model) break;
        const was = Number(tr.querySelector("input[name$='.was']").value);
        if (was) above = was;
      }
      row.querySelector("input[name$='.position']").value = String(above + 1);
      model.after(row);
      row.querySelector("input[name$='.description']").focus();
    });
  });
})();

// ---- portal and branding ----



// ---- mentions ----
// Comment boxes with data-mentionable (the people a mention would notify,
// each with the text that mentions them) suggest whom to @mention: typing
// "@" and the start of a name or address lists up to 8 matches (names
// first, then addresses, then a later word of a name). Arrow keys move,
// Enter or Tab (or a click) inserts "@Full Name ", Escape closes. The box
// is an ARIA combobox that owns the list; without script, typing the
// mention in full does the same.
(function () {
  const most = 8;
  const word = /[\p{L}\p{N}_]/u;
  document.querySelectorAll("textarea[data-mentionable], input[data-mentionable]").forEach((field, n) => {
    let people;
    try {
      people = JSON.parse(field.dataset.mentionable || "[]");
    } catch {
      return;
    }
    if (!Array.isArray(people) || people.length === 0) return;
    for (const p of people) {
      p.lname = p.name.toLowerCase();
      p.lemail = p.email.toLowerCase();
      p.words = p.lname.split(/\s+/).slice(1);
    }
    const id = (field.id || "mention-" + n) + "-mentions";
    const list = document.createElement("ul");
    list.id = id;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    field.after(list, status);
    field.setAttribute("role", "combobox");
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-haspopup", "listbox");
    field.setAttribute("aria-controls", id);
    field.setAttribute("aria-expanded", "false");

    let shown = []; // the people listed
    let active = -1;
    let from = -1; // where the "@" being completed is

    // query finds the mention being typed before the caret: an "@" not
    // after a letter or digit, then a letter or digit, and no line break.
    const query = () => {
      const pos = field.selectionStart;
      if (pos === null || pos !== field.selectionEnd) return null;
      const before = field.value.slice(Math.max(0, pos - 80), pos);
      const offset = pos - before.length;
      for (let at = before.lastIndexOf("@"); at >= 0; at = before.lastIndexOf("@", at - 1)) {
        const q = before.slice(at + 1);
        if (/[\n\r]/.test(q)) return null;
        const prev = at > 0 ? before[at - 1] : field.value[offset - 1] || "";
        if (prev && word.test(prev)) continue;
        if (!q || !word.test(q[0])) return null;
        return { at: offset + at, q: q.toLowerCase() };
      }
      return null;
    };
    const rank = (p, q) => {
      if (p.lname.startsWith(q)) return 0;
      if (p.lemail.startsWith(q)) return 1;
      if (p.words.some((w) => w.startsWith(q))) return 2;
      return -1;
    };
    const close = () => {
      shown = [];
      active = -1;
      from = -1;
      list.hidden = true;
      list.replaceChildren();
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    };
    const highlight = (i) => {
      active = i;
      list.querySelectorAll("[role=option]").forEach((o, j) => {
        o.setAttribute("aria-selected", String(j === i));
        if (j === i) o.scrollIntoView({ block: "nearest" });
      });
      field.setAttribute("aria-activedescendant", id + "-" + i);
    };
    const update = () => {
      const found = query();
      if (!found) return close();
      const matches = [];
      for (const p of people) {
        const r = rank(p, found.q);
        if (r >= 0) matches.push({ p, r });
      }
      matches.sort((a, b) => a.r - b.r);
      shown = matches.slice(0, most).map((m) => m.p);
      if (shown.length === 0) return close();
      from = found.at;
      list.replaceChildren(...shown.map((p, i) => {
        const li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        const name = document.createElement("span");
        name.className = "mention-name";
        name.textContent = p.name;
        const detail = document.createElement("span");
        detail.className = "muted";
        detail.textContent = p.detail ? p.detail + " · " + p.email : p.email;
        li.append(name, " ", detail);
        return li;
      }));
      list.hidden = false;
      field.setAttribute("aria-expanded", "true");
      highlight(0);
      status.textContent = shown.length === 1 ? "1 person to mention" : shown.length + " people to mention";
    };
    const choose = (i) => {
      const p = shown[i];
      if (!p || from < 0) return;
      const v = field.value;
      const end = field.selectionStart;
      const text = v[end] === " " ? p.insert : p.insert + " ";
      field.value = v.slice(0, from) + text + v.slice(end);
      const caret = from + text.length + (v[end] === " " ? 1 : 0);
      field.setSelectionRange(caret, caret);
      close();
      status.textContent = p.name + " mentioned";
      field.focus();
    };

    field.addEventListener("input", update);
    field.addEventListener("click", update);
    field.addEventListener("keyup", (ev) => {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) update();
    });
    field.addEventListener("blur", close);
    field.addEventListener("keydown", (ev) => {
      if (list.hidden || shown.length === 0 || ev.isComposing) return;
      switch (ev.key) {
        case "ArrowDown":
          highlight((active + 1) % shown.length);
          break;
        case "ArrowUp":
          highlight((active - 1 + shown.length) % shown.length);
          break;
        case "Enter":
        case "Tab":
          if (ev.shiftKey || ev.ctrlKey || ev.metaKey || ev.altKey) return;
          choose(active);
          break;
        case "Escape":
          close();
          break;
        default:
          return;
      }
      ev.preventDefault();
      ev.stopPropagation();
    });
    // A press on the list keeps the focus in the box, so the click that
    // follows chooses.
    list.addEventListener("mousedown", (ev) => ev.preventDefault());
    list.addEventListener("click", (ev) => {
      const li = ev.target.closest("[role=option]");
      if (li) choose(Number(li.id.slice(id.length + 1)));
    });
  });
})();

// underLatestAnswer calls build(latest) whenever the chat's latest finished
// answer (one with a conversation) lacks a form of class cls, after taking
// that form off the earlier answers: "Ask my CSM" and the rating are
// offered for the latest answer only.
function underLatestAnswer(log, cls, build) {
  new MutationObserver(() => {
    const answers = log.querySelectorAll('.msg.answer[data-done="true"]');
    const latest = answers[answers.length - 1];
    if (!latest || !latest.dataset.conversation || latest.querySelector("form." + cls)) return;
    log.querySelectorAll("form." + cls).forEach((f) => f.remove());
    build(latest);
  }).observe(log, { subtree: true, attributes: true, attributeFilter: ["data-done"] });
}

// ---- conversations ----
// "Ask my CSM" under the assistant's latest answer: a plain form that
// posts the assistant's conversation id (the server reads the question,
// the answer and its sources back from its own record). Only the latest
// answer has it: that is the turn the server passes on. Without script
// there is no chat; the page links to the "Ask your CSM" form instead.
(function () {
  const form = document.querySelector("form#ask");
  const log = document.querySelector("#chat");
  if (!form || !log || !form.dataset.conversations) return;
  underLatestAnswer(log, "ask-csm", (latest) => {
    const ask = document.createElement("form");
    ask.method = "post";
    ask.action = form.dataset.conversations;
    ask.className = "ask-csm";
    const id = document.createElement("input");
    id.type = "hidden";
    id.name = "assistant_conversation_id";
    id.value = latest.dataset.conversation;
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "secondary";
    button.textContent = "Ask my CSM";
    const note = document.createElement("span");
    note.className = "muted";
    note.textContent = " Sends your question, this answer and its sources to your support member.";
    ask.append(id, button, note);
    latest.appendChild(ask);
  });
})();

// ---- emails to contacts ----
// The email editor: each variable's Insert button puts {{name}} where the
// caret was in the subject or the body (a list goes into the body, on a
// line of its own). Without script the buttons stay hidden and variables
// are typed.
(function () {
  const form = document.querySelector("form#email-form");
  if (!form) return;
  const subject = form.querySelector("#subject");
  const body = form.querySelector("#body");
  let last = body;
  for (const f of [subject, body]) f.addEventListener("focus", () => { last = f; });
  for (const b of document.querySelectorAll("button.insert-var")) {
    b.hidden = false;
    b.setAttribute("aria-label", "Insert {{" + b.dataset.var + "}}");
    b.addEventListener("click", () => {
      const block = b.dataset.block === "true";
      const field = block ? body : last;
      let text = "{{" + b.dataset.var + "}}";
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? start;
      if (block) {
        if (start > 0 && field.value[start - 1] !== "\n") text = "\n" + text;
        if (field.value[end] !== undefined && field.value[end] !== "\n") text += "\n";
      }
      field.setRangeText(text, start, end, "end");
      field.focus();
    });
  }
})();

// ---- playbooks ----
// The playbook form: only the chosen trigger's inputs, and in each action
// only the inputs of its type. Without script every input shows, each
// naming the types that use it, and what the chosen type ignores is
// ignored by the store.
(function () {
  const form = document.querySelector("form#playbook-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  const kinds = form.querySelectorAll('input[name="trigger-kind"]');
  const showTrigger = () => {
    const chosen = form.querySelector('input[name="trigger-kind"]:checked');
    for (const g of form.querySelectorAll(".pb-when")) g.hidden = !chosen || g.dataset.kind !== chosen.value;
  };
  for (const k of kinds) k.addEventListener("change", showTrigger);
  showTrigger();
  for (const fs of form.querySelectorAll("fieldset.pb-action")) {
    const type = fs.querySelector("select.pb-type");
    const show = () => {
      for (const f of fs.querySelectorAll(".pb-f")) f.hidden = !f.dataset.types.split(" ").includes(type.value);
    };
    type.addEventListener("change", show);
    show();
  }
})();

// ---- knowledge gaps ----
// Thumbs up and down under the assistant's latest answer: a plain form
// that rates the conversation's latest answer (the server knows which), so
// only the latest answer has it. The script sends it without leaving the
// chat and says thank you; a refused rating (a comment too long) is sent
// again as the form it is, and the page shows the error beside the field.
(function () {
  const form = document.querySelector("form#ask");
  const log = document.querySelector("#chat");
  if (!form || !log || !form.dataset.rate) return;
  let n = 0;
  underLatestAnswer(log, "rate", (latest) => {
    n++;
    const rate = document.createElement("form");
    rate.method = "post";
    rate.action = form.dataset.rate;
    rate.className = "rate";
    const id = document.createElement("input");
    id.type = "hidden";
    id.name = "conversation_id";
    id.value = latest.dataset.conversation;
    const set = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = "Was this answer helpful?";
    const label = document.createElement("label");
    label.htmlFor = "rate-comment-" + n;
    label.textContent = "What was missing? (optional)";
    const comment = document.createElement("input");
    comment.type = "text";
    comment.id = label.htmlFor;
    comment.name = "comment";
    comment.maxLength = 2000;
    const buttons = document.createElement("p");
    for (const [value, text] of [["yes", "👍 Helpful"], ["no", "👎 Not helpful"]]) {
      const b = document.createElement("button");
      b.type = "submit";
      b.name = "helpful";
      b.value = value;
      b.className = "secondary";
      b.textContent = text;
      buttons.append(b, " ");
    }
    set.append(legend, label, comment, buttons);
    rate.append(id, set);
    rate.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = new URLSearchParams(new FormData(rate));
      body.set("helpful", ev.submitter ? ev.submitter.value : "");
      try {
        const resp = await fetch(rate.action, { method: "POST", body });
        if (resp.ok && resp.redirected && resp.url.includes("rated=1")) {
          const thanks = document.createElement("p");
          thanks.className = "muted rated";
          thanks.setAttribute("role", "status");
          thanks.textContent = body.get("helpful") === "yes" ? "Thank you: glad it helped." : "Thank you: we will improve the help articles on this.";
          rate.replaceWith(thanks);
          return;
        }
      } catch (e) {
        // Sent as a plain form below.
      }
      const helpful = document.createElement("input");
      helpful.type = "hidden";
      helpful.name = "helpful";
      helpful.value = body.get("helpful") || "";
      rate.append(helpful);
      HTMLFormElement.prototype.submit.call(rate);
    });
    latest.appendChild(rate);
  });
})();
