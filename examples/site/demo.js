// Demo page controls. The standard queue snippet makes `Natter` callable even
// before widget.js has loaded; calls made early are replayed in order.
window.Natter =
  window.Natter ||
  function () {
    (window.Natter.q = window.Natter.q || []).push(arguments);
  };
for (const command of ['open', 'close', 'toggle']) {
  document.getElementById(command).addEventListener('click', () => window.Natter(command));
}
