// A single-page app's login and logout, and the one call each makes to the
// widget. window.Natter is the CDN script's (or the snippet stub's) queue
// function, so these calls work whether or not the widget has loaded yet.
const natter = (...args) => {
  window.Natter = window.Natter || function () {
    (window.Natter.q = window.Natter.q || []).push(arguments);
  };
  window.Natter(...args);
};

const who = document.getElementById('who');
const login = document.getElementById('login');
const logout = document.getElementById('logout');

login.addEventListener('click', () => {
  // Your backend computes userHash (HMAC-SHA256 of the id with the site's
  // identity secret) when the site enforces verified identities.
  natter('identify', { externalUserId: 'u_42', nickname: 'Alex Lee', email: 'alex@example.com' });
  who.textContent = 'Signed in as Alex Lee';
  login.hidden = true;
  logout.hidden = false;
});

logout.addEventListener('click', () => {
  // Logout: the widget drops the conversation and starts a fresh anonymous visitor.
  natter('identify', { externalUserId: null });
  who.textContent = 'Not signed in';
  login.hidden = false;
  logout.hidden = true;
});
