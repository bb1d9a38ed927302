// Applies the saved theme (light, dark or system) before the first paint. A file, not an inline
// script, so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  var choice = 'system';
  try { choice = localStorage.getItem('ds-theme') || 'system'; } catch { /* storage blocked */ }
  var dark = choice === 'dark' || (choice === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
})();
