// Progressive enhancement only: the pages work without it.
(function () {
  const all = document.getElementById("select-all");
  const boxes = () => Array.from(document.querySelectorAll('input[type="checkbox"][name="session_ids"]'));
  const button = document.getElementById("assign-button");
  const project = document.getElementById("assign-project");
  function refresh() {
    if (!button) return;
    const picked = boxes().filter((b) => b.checked).length;
    button.disabled = picked === 0 || !project.value;
    button.textContent = picked ? `Assign ${picked}` : "Assign";
  }
  if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); refresh(); });
  boxes().forEach((b) => b.addEventListener("change", refresh));
  if (project) project.addEventListener("change", refresh);
  refresh();
})();
