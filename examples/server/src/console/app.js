// Natter agent console. Plain script, no build step, strict-CSP friendly:
// no inline code, and every piece of visitor text goes through textContent.
'use strict';

(function () {
  const TOKEN_KEY = 'natter.agentToken';
  const DELIVERIES_REFRESH_MS = 5000;
  const $ = (id) => document.getElementById(id);
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    agentName: '',
    conversations: [],
    selected: null,      // conversation id
    current: null,       // the selected conversation, as last read
    messages: new Map(), // id -> message, for the selected conversation
    lastId: 0,           // cursor of the selected conversation
    socket: null,
    retry: 0,
    typingSentAt: 0,
    typingTimer: 0,
    listTimer: 0,
    deliveriesTimer: 0,  // refreshes the webhook delivery log while signed in
  };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function time(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleString();
  }

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers.Authorization = 'Bearer ' + state.token;
    if (opts.body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(opts.body);
    }
    const res = await fetch('/api/v1/agent' + path, opts);
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || res.statusText);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // ---------------------------------------------------------------- login
  async function signIn(token) {
    state.token = token;
    const me = await api('/me');
    sessionStorage.setItem(TOKEN_KEY, token);
    state.agentName = me.agentName;
    $('who').textContent = me.agentName + ' · ' + (me.siteName || me.appKey);
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
    await Promise.all([loadList(), loadRatings(), loadDeliveries()]);
    // Retries happen without any frame: the log is read again now and then.
    state.deliveriesTimer = setInterval(() => loadDeliveries().catch(report), DELIVERIES_REFRESH_MS);
    connect();
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = '';
    clearInterval(state.deliveriesTimer);
    if (state.socket) state.socket.close(1000);
    state.socket = null;
    location.reload();
  }

  // ---------------------------------------------------------------- ratings
  // "CSAT 4/5" or "NPS 9/10", as a rating reads on one line.
  function ratingText(r) {
    return r.scale === 'nps' ? 'NPS ' + r.score + '/10' : 'CSAT ' + r.score + '/5';
  }

  function loadRatings() {
    return api('/ratings?limit=1').then((data) => {
      const { csat, nps } = data.summary;
      const parts = [];
      if (csat.count) parts.push('CSAT average ' + csat.average.toFixed(1) + '/5 (' + csat.count + ')');
      if (nps.count) parts.push('NPS ' + Math.round(nps.score) + ' (' + nps.count + ')');
      $('ratings').textContent = parts.length ? 'Ratings: ' + parts.join(' · ') : 'No ratings yet';
    });
  }

  // ---------------------------------------------------------------- webhooks
  // The site's newest deliveries, each with its last attempt.
  function attemptText(a) {
    const outcome = a.status !== null ? 'HTTP ' + a.status : a.error;
    return time(a.at) + ' · ' + outcome + (a.nextAttemptAt ? ' · next ' + time(a.nextAttemptAt) : '');
  }

  function loadDeliveries() {
    return api('/webhooks/deliveries?limit=10').then((data) => {
      const ul = $('deliveries');
      ul.replaceChildren();
      $('no-deliveries').hidden = data.deliveries.length > 0;
      for (const d of data.deliveries) {
        const li = el('li', null, d.status);
        li.append(el('div', d.type + ' · ' + d.status, 'name'), el('div', d.url, 'muted'));
        if (d.attempts.length) li.append(el('div', attemptText(d.attempts[0]), 'snippet'));
        ul.append(li);
      }
    });
  }

  // ---------------------------------------------------------------- list
  function visitorName(v) {
    return v.nickname || v.externalUserId || v.email || v.csVisitorId;
  }

  async function loadList() {
    const status = $('filter').value;
    const data = await api('/conversations?status=' + encodeURIComponent(status));
    state.conversations = data.conversations;
    renderList();
    if (state.selected !== null) {
      const c = state.conversations.find((x) => x.conversation.id === state.selected);
      if (c) {
        renderVisitor(c.visitor);
        renderFields(c.fields);
      }
    }
  }

  function scheduleList() {
    clearTimeout(state.listTimer);
    state.listTimer = setTimeout(() => Promise.all([loadList(), loadRatings(), loadDeliveries()]).catch(report), 250);
  }

  function renderList() {
    const ul = $('conversations');
    // A refresh rebuilds the items: the one that had keyboard focus gets it back.
    const focused = ul.contains(document.activeElement) ? Number(document.activeElement.dataset.id) : null;
    ul.replaceChildren();
    $('empty').hidden = state.conversations.length > 0;
    for (const item of state.conversations) {
      const c = item.conversation;
      const li = el('li');
      li.tabIndex = 0;
      li.dataset.id = String(c.id);
      li.setAttribute('aria-current', String(c.id === state.selected));
      const name = el('div', null, 'name');
      name.append(el('span', visitorName(item.visitor)), el('span', c.status === 'open' ? '' : c.status, 'muted'));
      if (c.rating) name.append(el('span', ratingText(c.rating), 'rated'));
      // A conversation the offline form opened is a ticket (`startForm`).
      if (item.startForm === 'offline') name.append(el('span', 'ticket', 'badge ticket'));
      const last = item.lastMessage;
      li.append(name, el('div', last ? last.from + ': ' + last.text : '', 'snippet'), el('div', time(c.updatedAt), 'muted'));
      li.addEventListener('click', () => select(item));
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(item); } });
      ul.append(li);
      if (c.id === focused) li.focus();
    }
  }

  // ---------------------------------------------------------------- chat
  async function select(item) {
    state.selected = item.conversation.id;
    $('placeholder').hidden = true;
    $('chat').hidden = false;
    $('typing').textContent = '';
    renderList();
    await reload(item);
    $('reply').focus();
  }

  // Reads the conversation again from the start: a login merge moves
  // older messages into it, below the cursor.
  async function reload(item) {
    state.messages = new Map();
    state.lastId = 0;
    $('chat-title').textContent = visitorName(item.visitor) + ' · conversation #' + item.conversation.id;
    renderConversation(item.conversation);
    $('messages').replaceChildren();
    renderVisitor(item.visitor);
    renderFields(item.fields);
    await catchUp();
  }

  async function catchUp() {
    if (state.selected === null) return;
    const id = state.selected;
    for (;;) {
      const page = await api('/conversations/' + id + '/messages?limit=200&since=' + state.lastId);
      if (id !== state.selected) return;
      page.messages.forEach(addMessage);
      if (page.conversation) renderConversation(page.conversation);
      if (!page.hasMore) break;
    }
  }

  // The selected conversation's life: who joined, who ended it, its rating,
  // and which of Join and End apply.
  const ENDED_BY = { visitor: 'the visitor', agent: 'an agent', system: 'the server (idle)' };

  function renderConversation(c) {
    if (c.id !== state.selected) return;
    state.current = c;
    const open = c.status === 'open';
    const status = [];
    if (c.agentName) status.push('Joined by ' + c.agentName);
    status.push(open ? 'open' : 'Ended by ' + (ENDED_BY[c.endedBy] || 'someone'));
    $('chat-status').textContent = status.join(' · ');
    $('join').hidden = !open || Boolean(c.agentName);
    $('end').hidden = !open;
    $('reply').disabled = !open;
    const rating = $('chat-rating');
    rating.hidden = !c.rating;
    if (c.rating) {
      rating.textContent = 'Rating: ' + ratingText(c.rating) + (c.rating.comment ? ' · “' + c.rating.comment + '”' : '');
    }
  }

  // Join or End (`action` = join | close) from the console.
  async function act(action) {
    if (state.selected === null) return;
    $('send-error').textContent = '';
    try {
      const res = await api('/conversations/' + state.selected + '/' + action, { method: 'POST' });
      renderConversation(res.conversation);
      await catchUp();
      scheduleList();
    } catch (err) {
      $('send-error').textContent = err.message;
    }
  }

  function addMessage(m) {
    if (m.conversationId !== state.selected || state.messages.has(m.id)) return;
    state.messages.set(m.id, m);
    state.lastId = Math.max(state.lastId, m.id);
    const li = el('li', m.form ? null : m.text, m.from);
    if (m.event) li.dataset.event = m.event;
    if (m.form) {
      li.dataset.form = m.form.name;
      li.append(formView(m.form));
    }
    const who = m.from === 'agent' ? (m.agentName || 'agent') : m.from;
    li.append(el('span', who + ' · ' + time(m.createdAt), 'meta'));
    const list = $('messages');
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    // Keep id order even if frames and pages interleave.
    const after = Array.from(list.children).find((n) => Number(n.dataset.id) > m.id);
    li.dataset.id = String(m.id);
    list.insertBefore(li, after || null);
    if (nearBottom) list.scrollTop = list.scrollHeight;
  }

  // A submitted form as the visitor filled it: its title, then each
  // field's label and value (a checkbox as yes/no, as in the message's text).
  function formView(form) {
    const box = el('div', null, 'form');
    if (form.title) box.append(el('strong', form.title));
    const dl = el('dl');
    for (const f of form.fields) {
      const value = typeof f.value === 'boolean' ? (f.value ? 'yes' : 'no') : f.value;
      dl.append(el('dt', f.label), el('dd', value));
    }
    box.append(dl);
    return box;
  }

  function renderVisitor(v) {
    const dl = $('visitor');
    dl.replaceChildren();
    const rows = [
      ['csVisitorId', v.csVisitorId],
      ['externalUserId', v.externalUserId],
      ['verified', v.verified ? 'yes' : 'no'],
      ['fingerprint', v.fingerprint],
      ['visitorId', v.visitorId],
      ['nickname', v.nickname],
      ['email', v.email],
      ['phone', v.phone],
      ['avatar', v.avatar],
      ['extra', v.extra === undefined || v.extra === null ? null : JSON.stringify(v.extra, null, 1)],
      ['page', v.page && v.page.url],
      ['title', v.page && v.page.title],
      ['referrer', v.page && v.page.referrer],
      ['user agent', v.userAgent],
      ['IP', v.ip],
      ['locale', v.locale],
      ['time zone', v.timezone],
      ['first seen', time(v.firstSeenAt)],
      ['last seen', time(v.lastSeenAt)],
    ];
    for (const [k, val] of rows) {
      if (val === undefined || val === null || val === '') continue;
      dl.append(el('dt', k), el('dd', val));
    }
  }

  // The conversation fields the visitor's page set (values as JSON text).
  function renderFields(fields) {
    const dl = $('fields');
    dl.replaceChildren();
    const entries = Object.entries(fields || {});
    $('no-fields').hidden = entries.length > 0;
    for (const [k, val] of entries) dl.append(el('dt', k), el('dd', typeof val === 'string' ? val : JSON.stringify(val)));
  }

  async function send(e) {
    e.preventDefault();
    const box = $('reply');
    const text = box.value;
    if (!text.trim() || state.selected === null) return;
    $('send-error').textContent = '';
    const clientMsgId = 'c_' + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    try {
      const res = await api('/conversations/' + state.selected + '/messages', { method: 'POST', body: { clientMsgId, text } });
      box.value = '';
      addMessage(res.message);
      sendTyping(false);
    } catch (err) {
      $('send-error').textContent = err.message;
    }
  }

  function sendTyping(active) {
    if (state.selected === null) return;
    const frame = { type: 'typing', conversationId: state.selected, active };
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
    else api('/conversations/' + state.selected + '/typing', { method: 'POST', body: { active } }).catch(() => {});
  }

  function onInput() {
    const now = Date.now();
    if (now - state.typingSentAt > 3000) {
      state.typingSentAt = now;
      sendTyping(true);
    }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { state.typingSentAt = 0; sendTyping(false); }, 4000);
  }

  // ---------------------------------------------------------------- live
  function setLive(on) {
    const b = $('live');
    b.textContent = on ? 'live' : 'offline';
    b.classList.toggle('off', !on);
  }

  function connect() {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/agent/ws';
    let ws;
    try {
      ws = new WebSocket(url, ['natter.agent.v1', 'bearer.' + state.token]);
    } catch (err) {
      report(err);
      return;
    }
    state.socket = ws;
    ws.addEventListener('open', () => { state.retry = 0; setLive(true); });
    ws.addEventListener('message', (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (_) { return; }
      onFrame(f);
    });
    ws.addEventListener('close', (ev) => {
      setLive(false);
      if (state.socket !== ws || !state.token) return;
      // Exponential backoff with full jitter, capped at 30 s.
      const cap = Math.min(30000, 500 * Math.pow(2, state.retry++));
      setTimeout(connect, Math.random() * cap);
      if (ev.code === 4001) report(new Error('session expired'));
    });
  }

  function onFrame(f) {
    switch (f.type) {
      case 'hello':
      case 'resync':
        scheduleList();
        catchUp().catch(report);
        break;
      case 'message':
        addMessage(f.message);
        scheduleList();
        break;
      case 'conversation':
        if (f.visitor && f.conversation.id === state.selected) reload(f).catch(report);
        else renderConversation(f.conversation);
        scheduleList();
        break;
      case 'visitor':
        scheduleList();
        break;
      case 'typing':
        if (f.from === 'visitor' && f.conversationId === state.selected) {
          $('typing').textContent = f.active ? 'Visitor is typing…' : '';
        }
        break;
      default:
        break;
    }
  }

  function report(err) {
    console.warn('[natter console]', err);
    if (err && err.status === 401) signOut();
  }

  // ---------------------------------------------------------------- start
  function start() {
    $('login').addEventListener('submit', (e) => {
      e.preventDefault();
      $('login-error').textContent = '';
      signIn($('token').value.trim()).catch((err) => { $('login-error').textContent = err.message; });
    });
    $('logout').addEventListener('click', signOut);
    $('filter').addEventListener('change', () => loadList().catch(report));
    $('composer').addEventListener('submit', send);
    $('join').addEventListener('click', () => act('join'));
    $('end').addEventListener('click', () => act('close'));
    $('reply').addEventListener('input', onInput);
    $('reply').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('composer').requestSubmit(); }
    });
    if (state.token) {
      signIn(state.token).catch(() => { sessionStorage.removeItem(TOKEN_KEY); $('login').hidden = false; });
    } else {
      $('login').hidden = false;
    }
  }

  start();
})();
