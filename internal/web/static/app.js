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
          answer.textContent = data.answer;
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

// The article editor's preview follows the text as it is typed.
(function () {
  const content = document.querySelector("#editor #content");
  const preview = document.querySelector("#preview");
  if (!content || !preview) return;
  content.addEventListener("input", () => { preview.textContent = content.value; });
})();
