// Apply the saved or preferred theme before first paint (no flash). A file of its own, not an
// inline script, so the server's Content-Security-Policy can allow scripts from 'self' only.
(function () {
  var t = localStorage.getItem('dai-theme');
  if (t !== 'light' && t !== 'dark')
    t = matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
  document.documentElement.dataset.theme = t;
})();
