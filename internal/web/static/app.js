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
              a.href = c.type === "article" ? form.dataset.kb + "/" + c.id : "#";
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



// ---- portal and branding ----


