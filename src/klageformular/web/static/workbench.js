// The workbench's only script of its own (no inline script: the CSP forbids it).
// Every htmx request carries the session's CSRF token as a header; the server accepts it there.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});
