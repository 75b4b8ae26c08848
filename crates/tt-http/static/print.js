// The print button on the printable invoice (served from /static so the
// Content-Security-Policy can forbid inline scripts).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-button");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }
});
