// Kindred playground: a small Discord-like client for the playground API.
// Plain ES2020, no framework. Untrusted text (messages, names, embeds) only
// ever reaches the page through textContent and DOM nodes, never innerHTML.
"use strict";

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k in node && typeof v !== "string") node[k] = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  };

  const STORE_AS = "kindred.playground.as";
  const STORE_CHANNEL = "kindred.playground.channel.";
  const STORE_TOUR = "kindred.playground.tour";
  const NARROW = window.matchMedia("(max-width: 700px)");

  // Everything the page knows; replaced piecemeal as answers arrive.
  const app = {
    as: localStorage.getItem(STORE_AS) || "",
    state: null,
    channelId: "",
    messages: [],
    cache: new Map(), // message id -> {key, node}
    lastSeen: new Map(), // channel id -> newest message id seen
    unread: new Set(),
    refreshing: false,
    refreshAgain: false,
    modalChannel: "",
    tourDone: new Set(),
    pinned: true, // #messages is scrolled to the bottom
    clockAt: null, // {now: ms since epoch, at: performance.now()} when told
  };

  // ---- API ----------------------------------------------------------------

  async function api(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new Error("The playground server is not answering.");
    }
    let data = null;
    const text = await res.text();
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!res.ok) {
      throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
    }
    return data;
  }
  const asQuery = () => "as=" + encodeURIComponent(app.as);

  // ---- Lookups ------------------------------------------------------------

  const member = (id) => app.state && app.state.members.find((m) => m.id === id);
  const channel = (id) => app.state && app.state.channels.find((c) => c.id === id);
  const role = (id) => app.state && (app.state.roles || []).find((r) => r.id === id);
  const nameOf = (user) => {
    if (!user) return "Someone";
    const m = member(user.id);
    return (m && m.name) || user.global_name || user.username || "Someone";
  };
  // Kindred's clock runs on in real time between answers (time travel adds
  // to it), so the page counts on from the last "now" it was told.
  const kindredNow = () => (app.clockAt ? new Date(app.clockAt.now + (performance.now() - app.clockAt.at)) : new Date());
  function setClock(now) {
    const t = Date.parse(now);
    if (!isNaN(t)) app.clockAt = { now: t, at: performance.now() };
  }

  function initials(name) {
    const words = String(name).trim().split(/\s+/).filter(Boolean);
    const letters = words.slice(0, 2).map((w) => Array.from(w)[0] || "");
    return (letters.join("") || "?").toUpperCase();
  }
  function colourFor(id, fallback) {
    if (fallback && /^#[0-9a-f]{3,8}$/i.test(fallback)) return fallback;
    let h = 0;
    for (const ch of String(id)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return `hsl(${h % 360} 45% 45%)`;
  }
  function avatar(node, user) {
    const m = user && member(user.id);
    const name = nameOf(user);
    node.textContent = initials(name);
    node.style.background = colourFor(user ? user.id : name, m && m.color);
  }

  // ---- Time formatting ----------------------------------------------------

  const fmt = (opts) => new Intl.DateTimeFormat(undefined, opts);
  const TIME_STYLES = {
    t: fmt({ timeStyle: "short" }),
    T: fmt({ timeStyle: "medium" }),
    d: fmt({ dateStyle: "short" }),
    D: fmt({ dateStyle: "long" }),
    f: fmt({ dateStyle: "long", timeStyle: "short" }),
    F: fmt({ dateStyle: "full", timeStyle: "short" }),
  };
  const CLOCK = fmt({ weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  const STAMP = fmt({ dateStyle: "medium", timeStyle: "short" });

  // relative says how far `when` is from Kindred's clock (time travel moves
  // it, so the browser's own clock would be wrong).
  function relative(when) {
    const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    const secs = (when - kindredNow()) / 1000;
    const a = Math.abs(secs);
    // Round up to the next unit a little early, so 59:58 reads "in 1 hour".
    if (a < 45) return rtf.format(Math.round(secs), "second");
    if (a < 45 * 60) return rtf.format(Math.round(secs / 60), "minute");
    if (a < 22 * 3600) return rtf.format(Math.round(secs / 3600), "hour");
    if (a < 26 * 86400) return rtf.format(Math.round(secs / 86400), "day");
    if (a < 320 * 86400) return rtf.format(Math.round(secs / (30 * 86400)), "month");
    return rtf.format(Math.round(secs / (365 * 86400)), "year");
  }
  function timestampNode(unix, style) {
    const when = new Date(unix * 1000);
    if (isNaN(when)) return document.createTextNode(`<t:${unix}>`);
    const text = style === "R" ? relative(when) : (TIME_STYLES[style] || TIME_STYLES.f).format(when);
    return el("time", {
      class: "timestamp", datetime: when.toISOString(), title: TIME_STYLES.F.format(when), text,
      dataset: style === "R" ? { relative: "" } : undefined,
    });
  }

  // ---- Markdown-lite: text -> DOM nodes ------------------------------------

  const ESCAPABLE = /[\\*_~`>|#\[\]()<@:-]/;
  const TOKEN = /<@!?(\d+)>|<@&(\d+)>|<#(\d+)>|<t:(-?\d+)(?::([tTdDfFR]))?>|@everyone|@here|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|<(https?:\/\/[^\s>]+)>|https?:\/\/[^\s<]+[^\s<>.,:;"')\]!?]/y;

  function safeURL(raw) {
    try {
      const u = new URL(raw);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }
  function link(href, text) {
    return el("a", { href, target: "_blank", rel: "noopener noreferrer", text });
  }

  function mentionNode(m) {
    const [whole, userID, roleID, channelID, unix, style, label, url, bracketed] = m;
    if (userID) {
      const mm = member(userID);
      const node = el("span", { class: "mention", text: "@" + (mm ? mm.name : "unknown-user"), dataset: { userId: userID } });
      return node;
    }
    if (roleID) {
      const r = role(roleID);
      const node = el("span", { class: "mention role-mention", text: "@" + (r ? r.name : "unknown-role") });
      if (r && r.color) node.style.setProperty("--role-colour", r.color);
      return node;
    }
    if (channelID) {
      const c = channel(channelID);
      if (!c) return el("span", { class: "mention channel-mention", text: "#private-channel" });
      return el("a", {
        class: "mention channel-mention", href: "#", text: "#" + c.name, dataset: { openChannel: c.id },
      });
    }
    if (unix !== undefined) return timestampNode(Number(unix), style);
    if (whole === "@everyone" || whole === "@here") return el("span", { class: "mention", text: whole });
    if (bracketed !== undefined) {
      const href = safeURL(bracketed);
      return href ? link(href, bracketed) : document.createTextNode(whole);
    }
    if (label !== undefined) {
      const href = safeURL(url);
      return href ? link(href, label) : document.createTextNode(whole);
    }
    const href = safeURL(whole);
    return href ? link(href, whole) : document.createTextNode(whole);
  }

  // Paired delimiters, longest first so ** wins over *.
  const DELIMS = [
    ["**", "strong"], ["__", "u"], ["~~", "s"], ["*", "em"], ["_", "em"],
  ];

  // inline renders one paragraph's worth of text (may contain newlines).
  function inline(text) {
    const out = [];
    let plain = "";
    const flush = () => { if (plain) { out.push(document.createTextNode(plain)); plain = ""; } };
    let i = 0;
    outer: while (i < text.length) {
      const c = text[i];
      if (c === "\\" && i + 1 < text.length && ESCAPABLE.test(text[i + 1])) {
        plain += text[i + 1];
        i += 2;
        continue;
      }
      if (c === "\n") {
        flush();
        out.push(el("br"));
        i++;
        continue;
      }
      if (c === "`") {
        const end = text.indexOf("`", i + 1);
        if (end > i + 1) {
          flush();
          out.push(el("code", { class: "inline-code", text: text.slice(i + 1, end) }));
          i = end + 1;
          continue;
        }
      }
      for (const [d, tag] of DELIMS) {
        if (!text.startsWith(d, i)) continue;
        let end = text.indexOf(d, i + d.length);
        // A single * must not close on half of a **.
        while (d.length === 1 && end !== -1 && text[end + 1] === d) end = text.indexOf(d, end + 2);
        // "***" closing "**bold *italic***": the bold ends on the last two.
        while (d.length === 2 && end !== -1 && text[end + 2] === d[0]) end++;
        // snake_case_words are not italic: _ only opens and closes at word edges.
        const wordy = d[0] === "_" && (/\w/.test(text[i - 1] || "") || /\w/.test(text[end + d.length] || ""));
        if (end > i + d.length && !/\s/.test(text[i + d.length]) && !wordy) {
          flush();
          out.push(el(tag, {}, ...inline(text.slice(i + d.length, end))));
          i = end + d.length;
          continue outer;
        }
      }
      if (c === "<" || c === "@" || c === "[" || c === "h") {
        TOKEN.lastIndex = i;
        const m = TOKEN.exec(text);
        if (m) {
          flush();
          out.push(mentionNode(m));
          i = TOKEN.lastIndex;
          continue;
        }
      }
      plain += c;
      i++;
    }
    flush();
    return out;
  }

  // markdown renders a whole message: code blocks, quotes, then inline text.
  function markdown(text) {
    const frag = document.createDocumentFragment();
    if (!text) return frag;
    const parts = String(text).split(/```/);
    parts.forEach((part, n) => {
      if (n % 2 === 1 && n < parts.length - 1) {
        // ```lang\ncode``` : drop a language tag on the first line.
        const body = part.replace(/^[a-z0-9+-]*\n/i, "").replace(/\n$/, "");
        frag.append(el("pre", { class: "code-block" }, el("code", { text: body })));
        return;
      }
      if (n % 2 === 1) part = "```" + part; // unclosed fence: plain text
      blocks(part, frag);
    });
    return frag;
  }
  function blocks(text, into) {
    const lines = text.split("\n");
    let para = [];
    let quote = null;
    const flushPara = () => {
      if (para.length) into.append(...inline(para.join("\n")));
      para = [];
    };
    const flushQuote = () => {
      if (quote) into.append(el("blockquote", {}, ...inline(quote.join("\n"))));
      quote = null;
    };
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n];
      if (line.startsWith(">>> ")) {
        flushPara(); flushQuote();
        quote = [line.slice(4), ...lines.slice(n + 1)];
        break;
      }
      const q = /^> ?(.*)$/.exec(line);
      if (q && (line.startsWith("> ") || line === ">")) {
        flushPara();
        (quote = quote || []).push(q[1]);
        continue;
      }
      flushQuote();
      para.push(line);
    }
    flushPara(); flushQuote();
  }

  // ---- Messages -----------------------------------------------------------

  const TEMPLATE = $("#tpl-message");
  const BUTTON_STYLES = { 1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link" };

  function attachmentURL(msg, url) {
    if (!url) return null;
    if (url.startsWith("attachment://")) {
      const name = url.slice("attachment://".length);
      const a = (msg.attachments || []).find((x) => x.filename === name);
      return a ? a.url : null;
    }
    if (url.startsWith("/")) return url;
    return safeURL(url);
  }

  function embedNode(msg, e) {
    const node = el("div", { class: "embed" });
    if (e.color) node.style.setProperty("--embed-colour", "#" + Number(e.color).toString(16).padStart(6, "0"));
    if (e.author && e.author.name) node.append(el("div", { class: "embed-author", text: e.author.name }));
    if (e.title) {
      const href = e.url && safeURL(e.url);
      node.append(el("div", { class: "embed-title" }, href ? link(href, e.title) : e.title));
    }
    if (e.description) node.append(el("div", { class: "embed-description" }, markdown(e.description)));
    if (e.fields && e.fields.length) {
      const fields = el("div", { class: "embed-fields" });
      for (const f of e.fields) {
        fields.append(el("div", { class: "embed-field" + (f.inline ? " inline" : "") },
          el("div", { class: "embed-field-name" }, ...inline(f.name || "")),
          el("div", { class: "embed-field-value" }, markdown(f.value || ""))));
      }
      node.append(fields);
    }
    const img = e.image && attachmentURL(msg, e.image.url);
    if (img) node.append(el("img", { class: "embed-image", src: img, alt: e.title ? `Image: ${e.title}` : "Embedded image", loading: "lazy" }));
    const footer = [e.footer && e.footer.text, e.timestamp && STAMP.format(new Date(e.timestamp))].filter(Boolean);
    if (footer.length) node.append(el("div", { class: "embed-footer", text: footer.join(" • ") }));
    return node;
  }

  function formatSize(n) {
    if (!n && n !== 0) return "";
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }

  function componentsNode(msg) {
    const box = document.createDocumentFragment();
    for (const row of msg.components || []) {
      const rowNode = el("div", { class: "action-row" });
      const items = row.type === 1 ? row.components || [] : [row];
      for (const c of items) {
        if (c.type === 2) {
          const label = (c.emoji && c.emoji.name ? c.emoji.name + " " : "") + (c.label || "");
          if (c.style === 5) {
            const href = c.url && safeURL(c.url);
            rowNode.append(el("a", {
              class: "component button-link", href: href || undefined, target: "_blank", rel: "noopener noreferrer",
              "aria-disabled": c.disabled ? "true" : undefined,
            }, label, el("span", { "aria-hidden": "true", text: " ↗" })));
            continue;
          }
          rowNode.append(el("button", {
            type: "button", class: `component style-${BUTTON_STYLES[c.style] || "secondary"}`, disabled: !!c.disabled,
            dataset: { customId: c.custom_id || "", messageId: msg.id }, text: label,
          }));
        } else if (c.type === 3) {
          const sel = el("select", {
            class: "component", disabled: !!c.disabled, multiple: (c.max_values || 1) > 1,
            dataset: { customId: c.custom_id || "", messageId: msg.id }, "aria-label": c.placeholder || "Choose",
          });
          if ((c.max_values || 1) <= 1) sel.append(el("option", { value: "", disabled: true, selected: true, text: c.placeholder || "Make a selection" }));
          for (const o of c.options || []) {
            sel.append(el("option", { value: o.value, text: o.description ? `${o.label} — ${o.description}` : o.label, selected: !!o.default }));
          }
          rowNode.append(sel);
          if (sel.multiple) {
            rowNode.append(el("button", { type: "button", class: "component-apply style-secondary", dataset: { applyFor: c.custom_id, messageId: msg.id }, text: "Apply" }));
          }
        }
      }
      box.append(rowNode);
    }
    return box;
  }

  function messageNode(msg) {
    const node = TEMPLATE.content.firstElementChild.cloneNode(true);
    node.dataset.messageId = msg.id;
    const author = msg.author || {};
    avatar($(".avatar", node), author);
    $(".author", node).textContent = nameOf(author);
    const m = member(author.id);
    if (m && m.color && !author.bot) $(".author", node).style.setProperty("--author-colour", m.color);
    if (author.bot) $(".bot-tag", node).hidden = false;
    if (msg.timestamp) {
      const when = new Date(msg.timestamp);
      const t = $(".message-time", node);
      t.dateTime = when.toISOString();
      t.textContent = STAMP.format(when);
      t.title = TIME_STYLES.F.format(when);
    }
    if (msg.interaction && msg.interaction.name) {
      const it = $(".interaction", node);
      it.hidden = false;
      it.append(el("span", { class: "interaction-user", text: nameOf(msg.interaction.user) }), " used ",
        el("span", { class: "interaction-command", text: "/" + msg.interaction.name }));
    }
    $(".content", node).append(markdown(msg.content || ""));
    if (!msg.content) $(".content", node).hidden = true;

    const used = new Set();
    for (const e of msg.embeds || []) {
      if (e.image && e.image.url && e.image.url.startsWith("attachment://")) used.add(e.image.url.slice(13));
      $(".embeds", node).append(embedNode(msg, e));
    }
    for (const a of msg.attachments || []) {
      if (used.has(a.filename)) continue;
      if ((a.content_type || "").startsWith("image/")) {
        $(".attachments", node).append(el("a", { href: a.url, target: "_blank", rel: "noopener", class: "image-link" },
          el("img", { class: "attachment", src: a.url, alt: a.filename, loading: "lazy" })));
      } else {
        const ext = (a.filename.match(/\.([a-z0-9]{1,5})$/i) || [, "file"])[1].toUpperCase();
        $(".attachments", node).append(el("a", { class: "attachment", href: a.url, download: a.filename },
          el("span", { class: "file-icon", "aria-hidden": "true", text: ext }),
          el("span", { class: "file-name", text: a.filename }),
          el("span", { class: "file-size", text: formatSize(a.size) })));
      }
    }
    $(".components", node).append(componentsNode(msg));
    if (msg.ephemeral || (msg.flags & 64)) {
      node.classList.add("ephemeral");
      $(".ephemeral-note", node).hidden = false;
    }
    // Like Discord, apps do not act on an ephemeral reply: it is no one else's to report.
    if (!messageCommands().length || node.classList.contains("ephemeral")) $(".message-menu", node).hidden = true;
    return node;
  }

  // renderMessages updates #messages in place: unchanged messages keep their
  // nodes, so screen readers announce only what is new.
  function renderMessages(scrollToEnd) {
    const box = $("#messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
    const focusKey = focusedKey();
    const now = app.state ? app.state.now : "";
    const names = app.state ? app.state.version : 0;
    const next = new Map();
    const nodes = [];
    for (const msg of app.messages) {
      const raw = JSON.stringify(msg);
      const key = raw + "|" + names + (raw.includes(":R>") ? "|" + now : "");
      let entry = app.cache.get(msg.id);
      if (!entry || entry.key !== key) entry = { key, node: messageNode(msg) };
      next.set(msg.id, entry);
      nodes.push(entry.node);
    }
    app.cache = next;
    let ref = box.firstChild;
    for (const node of nodes) {
      if (node === ref) ref = ref.nextSibling;
      else box.insertBefore(node, ref);
    }
    while (ref) {
      const gone = ref;
      ref = ref.nextSibling;
      gone.remove();
    }
    if (!nodes.length) {
      box.append(el("p", { class: "empty", text: "No messages here yet." }));
    }
    if (scrollToEnd || atBottom) {
      box.scrollTop = box.scrollHeight;
      app.pinned = true;
    }
    restoreFocus(focusKey);
  }

  function focusedKey() {
    const a = document.activeElement;
    if (!a || !$("#messages").contains(a)) return null;
    const msg = a.closest(".message");
    if (!msg) return null;
    return { id: msg.dataset.messageId, custom: a.dataset.customId, menu: a.classList.contains("message-menu") };
  }
  function restoreFocus(k) {
    if (!k || $("#messages").contains(document.activeElement)) return;
    const msg = $(`.message[data-message-id="${CSS.escape(k.id)}"]`);
    if (!msg) return;
    const target = k.menu ? $(".message-menu", msg) : k.custom ? $(`[data-custom-id="${CSS.escape(k.custom)}"]`, msg) : null;
    if (target && !target.disabled) target.focus();
  }

  // ---- Sidebar, header, tour ----------------------------------------------

  function channelLink(c) {
    const cls = ["channel", c.kind === "dm" ? "dm" : "", c.kind === "thread" ? "thread" : ""].filter(Boolean).join(" ");
    const a = el("a", { class: cls, href: "#", dataset: { channelId: c.id, channelName: c.name } });
    if (c.kind === "text") a.append(el("span", { class: "channel-icon", "aria-hidden": "true", text: "#" }));
    else if (c.kind === "thread") a.append(el("span", { class: "channel-icon", "aria-hidden": "true", text: "↳" }));
    else {
      const av = el("span", { class: "avatar small", "aria-hidden": "true" });
      avatar(av, app.state.bot);
      a.append(av);
    }
    a.append(el("span", { class: "channel-name", text: c.name }));
    if (app.unread.has(c.id)) a.append(el("span", { class: "unread-dot", title: "New messages", text: "", "aria-label": "new messages" }));
    if (c.id === app.channelId) a.setAttribute("aria-current", "page");
    return a;
  }

  function renderSidebar() {
    const st = app.state;
    $("#guild-name").textContent = st.guild ? st.guild.name : "Kindred";
    const nav = $("#channels");
    const text = st.channels.filter((c) => c.kind === "text");
    const threads = st.channels.filter((c) => c.kind === "thread");
    const dms = st.channels.filter((c) => c.kind === "dm");
    const list = el("ul", { class: "channel-list" });
    for (const c of text) {
      const li = el("li", {}, channelLink(c));
      const kids = threads.filter((t) => t.parent_id === c.id);
      if (kids.length) li.append(el("ul", { class: "thread-list" }, ...kids.map((t) => el("li", {}, channelLink(t)))));
      list.append(li);
    }
    for (const t of threads.filter((t) => !text.some((c) => c.id === t.parent_id))) list.append(el("li", {}, channelLink(t)));
    const dmList = el("ul", { class: "channel-list" }, ...dms.map((c) => el("li", {}, channelLink(c))));
    if (!dms.length) dmList.append(el("li", { class: "muted", text: "None yet" }));
    const had = document.activeElement && nav.contains(document.activeElement) ? document.activeElement.dataset.channelId : null;
    nav.replaceChildren(el("h3", { class: "nav-heading", text: "Text channels" }), list,
      el("h3", { class: "nav-heading", text: "Direct messages" }), dmList);
    if (had) {
      const again = $(`a.channel[data-channel-id="${CSS.escape(had)}"]`, nav);
      if (again) again.focus();
    }
  }

  function renderMembers() {
    const sel = $("#member-switch");
    const actable = app.state.members.filter((m) => m.actable);
    const sig = actable.map((m) => m.id + m.name + m.role).join();
    if (sel.dataset.sig !== sig) {
      sel.replaceChildren(...actable.map((m) => el("option", { value: m.id, text: m.role ? `${m.name} — ${m.role}` : m.name })));
      sel.dataset.sig = sig;
    }
    sel.value = app.as;
  }

  function renderClock() {
    const now = kindredNow();
    const clock = $("#clock");
    const text = CLOCK.format(now);
    if (clock.textContent === text) return;
    clock.dateTime = now.toISOString();
    clock.textContent = text;
    clock.title = "Kindred's clock: " + TIME_STYLES.F.format(now);
  }

  // tick keeps the clock and "in 2 hours" timestamps current.
  function tick() {
    renderClock();
    for (const t of document.querySelectorAll("time.timestamp[data-relative]")) {
      const text = relative(new Date(t.dateTime));
      if (t.textContent !== text) t.textContent = text;
    }
  }

  function renderHeader() {
    const c = channel(app.channelId);
    $("#channel-title").textContent = c ? c.name : "";
    $("#channel-icon").textContent = !c ? "" : c.kind === "dm" ? "@" : c.kind === "thread" ? "↳" : "#";
    $("#channel-topic").textContent = c && c.topic ? c.topic : c && c.kind === "thread" ? (c.private ? "Private thread" : "Thread") : "";
    const composer = $("#composer");
    // Short enough for one line on a phone: long thread names are not repeated.
    const where = !c ? "" : c.kind === "dm" ? "@" + c.name : c.kind === "text" ? "#" + c.name : "the thread";
    composer.placeholder = c ? (NARROW.matches ? `Message ${where}` : `Message ${where}, or / for commands`) : "";
    document.title = c ? `${c.kind === "text" ? "#" : ""}${c.name} — Kindred playground` : "Kindred playground";
  }

  function renderTour() {
    const steps = app.state.tour || [];
    const list = $("#tour-steps");
    const sig = JSON.stringify(steps) + [...app.tourDone].join();
    if (list.dataset.sig === sig) return;
    list.dataset.sig = sig;
    list.replaceChildren(...steps.map((s, n) => {
      const who = member(s.as);
      const where = s.channel ? (/^(dm|kindred)$/i.test(s.channel) ? "DM with Kindred" : "#" + s.channel.replace(/^#/, "")) : "";
      const btn = el("button", { type: "button", class: "tour-step" + (app.tourDone.has(n) ? " done" : ""), dataset: { step: n } },
        el("span", { class: "tour-title" }, el("span", { class: "tour-number", "aria-hidden": "true", text: app.tourDone.has(n) ? "✓" : String(n + 1) }), s.title || ""),
        el("span", { class: "tour-text", text: s.text || "" }),
        s.line ? el("code", { class: "tour-line", text: s.line }) : null,
        el("span", { class: "tour-who", text: [who ? "as " + who.name : "", where ? "in " + where : ""].filter(Boolean).join(" ") }));
      return el("li", {}, btn);
    }));
  }

  function renderAll() {
    renderMembers();
    renderClock();
    renderSidebar();
    renderHeader();
    renderTour();
  }

  // ---- Loading ------------------------------------------------------------

  async function loadState() {
    let st;
    try {
      st = await api("GET", "/api/state?" + asQuery());
    } catch (e) {
      if (!app.as) throw e;
      // A remembered member may be gone after a reset: start as the default.
      app.as = "";
      st = await api("GET", "/api/state?" + asQuery());
    }
    if (!app.as || st.me !== app.as) {
      const me = st.me && st.members.some((m) => m.id === st.me && m.actable) ? st.me : (st.members.find((m) => m.actable) || {}).id;
      if (me && me !== st.me) {
        app.as = me;
        st = await api("GET", "/api/state?" + asQuery());
      } else {
        app.as = me || st.me;
      }
    }
    localStorage.setItem(STORE_AS, app.as);
    app.state = st;
    setClock(st.now);
    if (!channel(app.channelId)) app.channelId = defaultChannel();
  }

  function defaultChannel() {
    const st = app.state;
    const remembered = localStorage.getItem(STORE_CHANNEL + app.as);
    if (remembered && channel(remembered)) return remembered;
    const general = st.channels.find((c) => c.kind === "text" && c.name === "general");
    return (general || st.channels.find((c) => c.kind === "text") || st.channels[0] || {}).id || "";
  }

  async function loadMessages() {
    if (!app.channelId) {
      app.messages = [];
      return;
    }
    const id = app.channelId;
    const msgs = await api("GET", `/api/channels/${encodeURIComponent(id)}/messages?${asQuery()}`);
    if (id !== app.channelId) return; // switched meanwhile
    app.messages = msgs || [];
    markSeen(id, app.messages);
  }

  const newest = (msgs) => msgs.reduce((best, m) => (!best || BigInt(m.id) > BigInt(best) ? m.id : best), "");
  function markSeen(id, msgs) {
    app.lastSeen.set(app.as + id, newest(msgs));
    app.unread.delete(id);
  }

  // checkUnread looks at the channels not open: a dot when something new arrived.
  async function checkUnread() {
    const others = app.state.channels.filter((c) => c.id !== app.channelId);
    await Promise.all(others.map(async (c) => {
      let last = c.last_message_id;
      if (last === undefined) {
        try {
          last = newest(await api("GET", `/api/channels/${encodeURIComponent(c.id)}/messages?${asQuery()}`) || []);
        } catch (e) {
          return;
        }
      }
      const key = app.as + c.id;
      if (!app.lastSeen.has(key)) app.lastSeen.set(key, last || "");
      else if (last && last !== app.lastSeen.get(key)) app.unread.add(c.id);
    }));
    renderSidebar();
  }

  // refresh reloads the state and the open channel; calls made while one
  // runs fold into a single follow-up.
  async function refresh(scrollToEnd = false) {
    if (app.refreshing) {
      app.refreshAgain = true;
      return;
    }
    app.refreshing = true;
    try {
      await loadState();
      await loadMessages();
      renderAll();
      renderMessages(scrollToEnd);
      checkUnread();
    } catch (e) {
      showError(e.message);
    } finally {
      app.refreshing = false;
      if (app.refreshAgain) {
        app.refreshAgain = false;
        refresh();
      }
    }
  }

  async function openChannel(id, { focusComposer = false } = {}) {
    if (!channel(id)) return;
    app.channelId = id;
    localStorage.setItem(STORE_CHANNEL + app.as, id);
    app.cache.clear();
    $("#messages").replaceChildren();
    app.messages = [];
    closeSuggestions();
    clearError();
    renderSidebar();
    renderHeader();
    closeSidebar();
    try {
      await loadMessages();
    } catch (e) {
      showError(e.message);
    }
    renderSidebar();
    renderMessages(true);
    if (focusComposer) $("#composer").focus();
  }

  async function switchMember(id) {
    if (!id || id === app.as) return;
    const wasDM = channel(app.channelId) && channel(app.channelId).kind === "dm";
    app.as = id;
    localStorage.setItem(STORE_AS, id);
    app.channelId = "";
    app.cache.clear();
    $("#messages").replaceChildren();
    await loadState();
    const dm = app.state.channels.find((c) => c.kind === "dm");
    if (wasDM && dm) app.channelId = dm.id;
    await loadMessages();
    renderAll();
    renderMessages(true);
    checkUnread();
  }

  // ---- Errors -------------------------------------------------------------

  function showError(text) {
    const box = $("#composer-error");
    box.textContent = text;
    box.hidden = !text;
  }
  const clearError = () => showError("");

  // ---- Sending ------------------------------------------------------------

  async function answered(res, channelId) {
    if (res && res.modal) openModal(res.modal, channelId);
    await refresh(true);
  }

  async function send(line) {
    const text = line.trim();
    if (!text || !app.channelId) return false;
    clearError();
    const channelId = app.channelId;
    try {
      if (text.startsWith("/")) {
        const res = await api("POST", "/api/command", { as: app.as, channel_id: channelId, line: text });
        await answered(res, channelId);
      } else {
        await api("POST", "/api/messages", { as: app.as, channel_id: channelId, content: line });
        await refresh(true);
      }
      return true;
    } catch (e) {
      showError(e.message);
      return false;
    }
  }

  async function clickComponent(btn, values) {
    const msg = app.messages.find((m) => m.id === btn.dataset.messageId);
    clearError();
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
    try {
      const res = await api("POST", "/api/component", {
        as: app.as, channel_id: msg ? msg.channel_id || app.channelId : app.channelId,
        message_id: btn.dataset.messageId, custom_id: btn.dataset.customId || btn.dataset.applyFor, values,
      });
      await answered(res, app.channelId);
    } catch (e) {
      showError(e.message);
    } finally {
      if (btn.isConnected) {
        btn.removeAttribute("aria-busy");
        btn.disabled = false;
      }
    }
  }

  // ---- Modals -------------------------------------------------------------

  function openModal(modal, channelId) {
    const dialog = $("#modal");
    app.modalChannel = channelId;
    dialog.dataset.customId = modal.custom_id;
    $("#modal-title").textContent = modal.title || "Kindred";
    $("#modal-error").textContent = "";
    const fields = $("#modal-fields");
    fields.replaceChildren();
    let n = 0;
    for (const row of modal.components || []) {
      for (const c of row.type === 1 ? row.components || [] : [row]) {
        if (c.type !== 4) continue;
        const id = `modal-field-${n++}`;
        const input = el(c.style === 2 ? "textarea" : "input", {
          id, name: c.custom_id, required: !!c.required, placeholder: c.placeholder || undefined,
          minLength: c.min_length || undefined, maxLength: c.max_length || undefined,
        });
        if (c.style === 2) input.rows = 4;
        else input.type = "text";
        input.value = c.value || "";
        const counter = c.max_length ? el("span", { class: "counter", "aria-hidden": "true" }) : null;
        const count = () => { if (counter) counter.textContent = `${input.value.length}/${c.max_length}`; };
        input.addEventListener("input", count);
        count();
        fields.append(el("div", { class: "modal-field" },
          el("label", { for: id }, c.label || c.custom_id, c.required ? el("span", { class: "required", "aria-hidden": "true", text: " *" }) : null),
          input, counter));
      }
    }
    if (!dialog.open) dialog.showModal();
    const first = $("input, textarea", fields);
    if (first) first.focus();
  }

  async function submitModal(ev) {
    ev.preventDefault();
    const dialog = $("#modal");
    const form = $("#modal-form");
    if (!form.reportValidity()) return;
    const fields = {};
    for (const f of form.querySelectorAll("#modal-fields input, #modal-fields textarea")) fields[f.name] = f.value;
    const submit = $("button[type=submit]", form);
    submit.disabled = true;
    try {
      await api("POST", "/api/modal", { as: app.as, channel_id: app.modalChannel || app.channelId, custom_id: dialog.dataset.customId, fields });
      dialog.close();
      await refresh(true);
    } catch (e) {
      $("#modal-error").textContent = e.message;
    } finally {
      submit.disabled = false;
    }
  }

  // ---- Message context menu -----------------------------------------------

  const messageCommands = () => (app.state ? app.state.commands.filter((c) => c.type === 3) : []);
  let menuFor = null;

  function openMenu(btn) {
    const menu = $("#message-menu");
    const msgNode = btn.closest(".message");
    menuFor = { button: btn, messageId: msgNode.dataset.messageId };
    menu.replaceChildren(el("div", { class: "menu-heading", text: "Apps" }),
      ...messageCommands().map((c) => el("button", { type: "button", class: "message-command", role: "menuitem", dataset: { name: c.name }, text: c.name })));
    menu.hidden = false;
    btn.setAttribute("aria-expanded", "true");
    const r = btn.getBoundingClientRect();
    const w = menu.offsetWidth;
    menu.style.left = Math.max(8, Math.min(window.innerWidth - w - 8, r.right - w)) + "px";
    const below = r.bottom + 4;
    menu.style.top = (below + menu.offsetHeight > window.innerHeight ? Math.max(8, r.top - menu.offsetHeight - 4) : below) + "px";
    const first = $("button", menu);
    if (first) first.focus();
  }
  function closeMenu(returnFocus) {
    const menu = $("#message-menu");
    if (menu.hidden) return;
    menu.hidden = true;
    if (menuFor) {
      menuFor.button.setAttribute("aria-expanded", "false");
      if (returnFocus && menuFor.button.isConnected) menuFor.button.focus();
    }
    menuFor = null;
  }
  async function runMessageCommand(name) {
    const target = menuFor;
    closeMenu(true);
    if (!target) return;
    clearError();
    const channelId = app.channelId;
    try {
      const res = await api("POST", "/api/message-command", { as: app.as, channel_id: channelId, message_id: target.messageId, name });
      await answered(res, channelId);
    } catch (e) {
      showError(e.message);
    }
  }

  // ---- Composer autocomplete ----------------------------------------------

  const OPT = { SUB: 1, GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, MENTIONABLE: 9, NUMBER: 10 };
  const chatCommands = () => (app.state ? app.state.commands.filter((c) => !c.type || c.type === 1) : []);
  const hasSubs = (opts) => (opts || []).some((o) => o.type === OPT.SUB || o.type === OPT.GROUP);
  const findOpt = (opts, name) => (opts || []).find((o) => o.name.toLowerCase() === String(name).toLowerCase());

  // commandPaths flattens commands into what can be typed: "/checkins history".
  function commandPaths() {
    const out = [];
    const walk = (prefix, opts, description, leaf) => {
      if (!hasSubs(opts)) {
        out.push({ path: prefix, description, leaf });
        return;
      }
      for (const o of opts) {
        if (o.type === OPT.SUB || o.type === OPT.GROUP) walk(`${prefix} ${o.name}`, o.options, o.description, o);
      }
    };
    for (const c of chatCommands()) walk("/" + c.name, c.options, c.description, c);
    return out;
  }

  // tokenize splits the line like the server's parser: spaces separate,
  // double quotes group, \" and \\ escape inside quotes. Each token keeps
  // where it starts and ends in the line.
  function tokenize(line) {
    const tokens = [];
    let cur = null;
    let inQuote = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (inQuote && ch === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) {
        cur.value += line[++i];
        continue;
      }
      if (ch === '"') {
        if (!cur) cur = { start: i, value: "" };
        inQuote = !inQuote;
        continue;
      }
      if (!inQuote && /\s/.test(ch)) {
        if (cur) { cur.end = i; tokens.push(cur); cur = null; }
        continue;
      }
      if (!cur) cur = { start: i, value: "" };
      cur.value += ch;
    }
    if (cur) { cur.end = line.length; tokens.push(cur); }
    return { tokens, inQuote };
  }

  function quote(value) {
    const v = String(value);
    return v === "" || /[\s"\\]/.test(v) ? `"${v.replace(/[\\"]/g, (c) => "\\" + c)}"` : v;
  }

  // parse reads the line up to the cursor: which command, which options are
  // given, and what is being typed now.
  function parse(before) {
    const line = before;
    const { tokens, inQuote } = tokenize(before);
    const endsInSpace = !inQuote && /\s$/.test(before);
    const current = endsInSpace || !tokens.length ? { start: before.length, end: before.length, value: "" } : tokens.pop();
    if (!tokens.length) return { stage: "command", prefix: before.trimStart(), current };
    const cmd = chatCommands().find((c) => "/" + c.name === tokens[0].value.toLowerCase());
    if (!cmd) return { stage: "none" };
    let opts = cmd.options || [];
    let leaf = cmd;
    let path = "/" + cmd.name;
    let n = 1;
    while (hasSubs(opts)) {
      if (n >= tokens.length) return { stage: "command", prefix: before.trimStart(), current };
      const sub = findOpt(opts, tokens[n].value);
      if (!sub || !(sub.type === OPT.SUB || sub.type === OPT.GROUP)) return { stage: "none" };
      path += " " + sub.name;
      leaf = sub;
      opts = sub.options || [];
      n++;
    }
    const given = new Map();
    for (const t of tokens.slice(n)) {
      const [name, ...rest] = t.value.split(":");
      if (rest.length) given.set(name.toLowerCase(), rest.join(":"));
    }
    const base = { path, leaf, options: opts, given, current, tokens: tokens.slice(n) };
    const colon = current.value.indexOf(":");
    // "start:next tuesday 19": words typed after a value, without quotes,
    // go on that value; completing it puts the quotes in.
    let k = base.tokens.length - 1;
    while (k >= 0 && !base.tokens[k].value.includes(":")) k--;
    const loose = base.tokens.slice(k + 1);
    if (colon === -1 && current.value && k >= 0 && (loose.length || !opts.some((o) => o.name.startsWith(current.value.toLowerCase())))) {
      const prev = base.tokens[k];
      const pc = prev.value.indexOf(":");
      const option = findOpt(opts, prev.value.slice(0, pc));
      if (option && option.type === OPT.STRING && !line.slice(prev.start, prev.end).includes('"')) {
        return {
          ...base, tokens: base.tokens.slice(0, k), stage: "value", option, inQuote,
          value: [prev.value.slice(pc + 1), ...loose.map((t) => t.value), current.value].join(" "),
          current: { ...current, start: prev.start },
        };
      }
    }
    if (colon === -1) return { ...base, stage: "option", prefix: current.value };
    const option = findOpt(opts, current.value.slice(0, colon));
    return { ...base, stage: "value", option, value: current.value.slice(colon + 1), inQuote };
  }

  const sugg = { items: [], selected: -1, parsed: null, seq: 0, timer: 0, suppressed: false };

  function lineBeforeCursor() {
    const c = $("#composer");
    return c.value.slice(0, c.selectionStart);
  }

  function matches(text, prefix) {
    return String(text).toLowerCase().includes(String(prefix).toLowerCase());
  }

  // updateSuggestions recomputes the list from the line, asking Kindred
  // (debounced) for options with autocomplete.
  function updateSuggestions() {
    const composer = $("#composer");
    const line = composer.value;
    clearTimeout(sugg.timer);
    sugg.seq++;
    if (!line.startsWith("/") || sugg.suppressed) {
      closeSuggestions();
      setHint(line.startsWith("/") ? hintFor(parse(lineBeforeCursor())) : "");
      return;
    }
    const p = parse(lineBeforeCursor());
    sugg.parsed = p;
    setHint(hintFor(p));
    let items = [];
    if (p.stage === "command") {
      const prefix = p.prefix.replace(/\s+/g, " ").toLowerCase();
      items = commandPaths().filter((c) => c.path.startsWith(prefix) || (prefix.length > 1 && matches(c.path, prefix.slice(1))))
        .sort((a, b) => Number(!a.path.startsWith(prefix)) - Number(!b.path.startsWith(prefix)))
        .map((c) => ({ value: c.path, label: c.path, description: c.description, kind: "command" }));
    } else if (p.stage === "option") {
      items = p.options.filter((o) => !p.given.has(o.name.toLowerCase()) && o.name.startsWith(p.prefix.toLowerCase()))
        .sort((a, b) => Number(!!b.required) - Number(!!a.required))
        .map((o) => ({ value: o.name + ":", label: o.name + ":", description: (o.required ? "required · " : "") + o.description, kind: "option" }));
    } else if (p.stage === "value" && p.option) {
      const o = p.option;
      const token = (v) => `${o.name}:${quote(v)}`;
      if (o.choices && o.choices.length) {
        items = o.choices.filter((c) => !p.value || matches(c.name, p.value) || matches(c.value, p.value))
          .map((c) => ({ value: token(c.value), label: c.name, description: String(c.value) === c.name ? "" : String(c.value), kind: "choice" }));
      } else if (o.autocomplete) {
        askKindred(p);
        return;
      } else if (o.type === OPT.USER || o.type === OPT.MENTIONABLE) {
        items = app.state.members.filter((m) => !m.bot && matches(m.name, p.value.replace(/^<?@?!?/, "")))
          .map((m) => ({ value: token(`<@${m.id}>`), label: m.name, description: m.role || "", kind: "user" }));
        if (o.type === OPT.MENTIONABLE) items.push(...roleItems(p, token));
      } else if (o.type === OPT.CHANNEL) {
        items = app.state.channels.filter((c) => c.kind === "text" && matches(c.name, p.value.replace(/^<?#/, "")))
          .map((c) => ({ value: token(`<#${c.id}>`), label: "#" + c.name, description: c.topic || "", kind: "channel" }));
      } else if (o.type === OPT.ROLE) {
        items = roleItems(p, token);
      } else if (o.type === OPT.BOOLEAN) {
        items = ["true", "false"].filter((v) => v.startsWith(p.value.toLowerCase()))
          .map((v) => ({ value: token(v), label: v, description: "", kind: "choice" }));
      }
    }
    showSuggestions(items.slice(0, 25), p);
  }

  function roleItems(p, token) {
    return (app.state.roles || []).filter((r) => matches(r.name, p.value.replace(/^<?@?&?/, "")))
      .map((r) => ({ value: token(`<@&${r.id}>`), label: "@" + r.name, description: "role", kind: "role" }));
  }

  // autocompleteLine puts the focused option last, as the parser expects,
  // closing a quote the member has not closed yet.
  function autocompleteLine(p, withOthers) {
    const parts = [p.path];
    if (withOthers) {
      for (const t of p.tokens) {
        const [name, ...rest] = t.value.split(":");
        if (!rest.length || name.toLowerCase() === p.option.name) continue;
        parts.push(`${name}:${quote(rest.join(":"))}`);
      }
    }
    parts.push(`${p.option.name}:${quote(p.value)}`);
    return parts.join(" ");
  }

  function askKindred(p) {
    const seq = sugg.seq;
    sugg.timer = setTimeout(async () => {
      const ask = (withOthers) => api("POST", "/api/autocomplete", {
        as: app.as, channel_id: app.channelId, line: autocompleteLine(p, withOthers), focused: p.option.name,
      });
      let res;
      try {
        res = await ask(true);
      } catch (e) {
        // Another option may not be valid yet: ask with the focused one alone.
        try { res = await ask(false); } catch (e2) { res = { choices: [] }; }
      }
      if (seq !== sugg.seq) return;
      const token = (v) => `${p.option.name}:${quote(v)}`;
      const items = ((res && res.choices) || []).map((c) => ({
        value: token(c.value), label: c.name, description: String(c.value) === c.name ? "" : String(c.value), kind: "choice",
      }));
      showSuggestions(items, p);
    }, 150);
  }

  function hintFor(p) {
    if (!p || p.stage === "none") return "";
    if (p.stage === "command") {
      const exact = commandPaths().find((c) => c.path === p.prefix.trim().replace(/\s+/g, " ").toLowerCase());
      return exact ? `${exact.path} — ${exact.description}` : "";
    }
    const head = `${p.path} — ${p.leaf.description}`;
    if (p.stage === "value" && p.option) {
      const o = p.option;
      const range = [o.min_value !== undefined ? `from ${o.min_value}` : "", o.max_value !== undefined ? `to ${o.max_value}` : "", o.max_length ? `up to ${o.max_length} characters` : ""].filter(Boolean).join(" ");
      return `${head}\n${o.name}: ${o.description}${range ? " (" + range + ")" : ""}`;
    }
    const missing = p.options.filter((o) => o.required && !p.given.has(o.name.toLowerCase())).map((o) => o.name);
    return missing.length ? `${head}\nStill needed: ${missing.join(", ")}` : head;
  }

  function setHint(text) {
    const hint = $("#composer-hint");
    hint.replaceChildren();
    text.split("\n").filter(Boolean).forEach((line, n) => hint.append(el("div", { class: n ? "hint-option" : "hint-command", text: line })));
  }

  function showSuggestions(items, p) {
    const list = $("#suggestions");
    const composer = $("#composer");
    sugg.items = items;
    if (!items.length) {
      closeSuggestions();
      return;
    }
    // Preselect only while something is being typed, so Enter still sends a
    // finished line.
    const missing = p.stage === "option" && p.options.some((o) => o.required && !p.given.has(o.name.toLowerCase()));
    sugg.selected = p.stage === "command" || p.stage === "value" || p.current.value || missing ? 0 : -1;
    list.replaceChildren(...items.map((it, n) => el("li", {
      id: `suggestion-${n}`, role: "option", class: `suggestion ${it.kind}`, dataset: { value: it.value, index: n },
      "aria-selected": n === sugg.selected ? "true" : "false",
    }, el("span", { class: "suggestion-label", text: it.label }), it.description ? el("span", { class: "suggestion-description", text: it.description }) : null)));
    list.hidden = false;
    composer.setAttribute("aria-expanded", "true");
    select(sugg.selected);
  }

  function closeSuggestions() {
    const list = $("#suggestions");
    list.hidden = true;
    list.replaceChildren();
    sugg.items = [];
    sugg.selected = -1;
    const composer = $("#composer");
    composer.setAttribute("aria-expanded", "false");
    composer.removeAttribute("aria-activedescendant");
  }

  function select(n) {
    const list = $("#suggestions");
    sugg.selected = n;
    list.querySelectorAll("li").forEach((li, i) => li.setAttribute("aria-selected", i === n ? "true" : "false"));
    const li = n >= 0 ? list.children[n] : null;
    if (li) {
      li.scrollIntoView({ block: "nearest" });
      $("#composer").setAttribute("aria-activedescendant", li.id);
    } else {
      $("#composer").removeAttribute("aria-activedescendant");
    }
  }

  // insert replaces what is being typed with the suggestion: the whole
  // command path for a command, else the current name:value token.
  function insert(n) {
    const it = sugg.items[n];
    const p = sugg.parsed;
    if (!it || !p) return;
    const composer = $("#composer");
    const line = composer.value;
    const cursor = composer.selectionStart;
    let start, end;
    if (it.kind === "command") {
      start = 0;
      end = cursor;
    } else {
      start = p.current.start;
      end = cursor;
    }
    while (end < line.length && !/\s/.test(line[end])) end++; // the rest of the word after the cursor
    const after = line.slice(end).replace(/^\s+/, "");
    const space = it.kind === "option" ? "" : " ";
    const text = it.value + space;
    composer.value = line.slice(0, start) + text + (after ? (space ? "" : " ") + after : "");
    const pos = start + text.length;
    composer.setSelectionRange(pos, pos);
    composer.focus();
    autosize();
    updateSuggestions();
  }

  function autosize() {
    const c = $("#composer");
    c.style.height = "auto";
    c.style.height = Math.min(c.scrollHeight, 200) + "px";
  }

  function onComposerKey(ev) {
    const open = !$("#suggestions").hidden && sugg.items.length;
    if (open && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
      ev.preventDefault();
      const n = sugg.items.length;
      const cur = sugg.selected;
      select(ev.key === "ArrowDown" ? (cur + 1) % n : (cur <= 0 ? n - 1 : cur - 1));
      return;
    }
    if (open && ev.key === "Tab" && !ev.shiftKey) {
      ev.preventDefault();
      insert(sugg.selected >= 0 ? sugg.selected : 0);
      return;
    }
    if (open && ev.key === "Escape") {
      ev.preventDefault();
      sugg.suppressed = true;
      closeSuggestions();
      return;
    }
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      if (open && sugg.selected >= 0) {
        const it = sugg.items[sugg.selected];
        const typed = sugg.parsed && sugg.parsed.current ? $("#composer").value.slice(sugg.parsed.current.start, $("#composer").selectionStart) : "";
        // A token already typed out in full is sent, not completed again.
        if (it.kind === "command" ? it.value !== sugg.parsed.prefix.trim() : it.value !== typed) {
          insert(sugg.selected);
          return;
        }
      }
      submitComposer();
    }
  }

  async function submitComposer() {
    const composer = $("#composer");
    const line = composer.value;
    if (!line.trim()) return;
    closeSuggestions();
    composer.readOnly = true;
    const ok = await send(line);
    composer.readOnly = false;
    if (ok) {
      composer.value = "";
      autosize();
      setHint("");
    }
    composer.focus();
  }

  // ---- Time travel, reset, tour -------------------------------------------

  async function skip(btn) {
    const status = $("#time-status");
    const buttons = document.querySelectorAll("button[data-skip]");
    buttons.forEach((b) => { b.disabled = true; });
    status.textContent = "Moving the clock…";
    try {
      const res = await api("POST", "/api/time", { skip: btn.dataset.skip });
      const ran = res.ran || 0;
      status.textContent = `Ran ${ran} scheduled job${ran === 1 ? "" : "s"}.`;
      status.title = "Kindred's clock is now " + TIME_STYLES.F.format(new Date(res.now));
      setClock(res.now);
      renderClock();
      await refresh();
    } catch (e) {
      status.textContent = e.message;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      btn.focus();
    }
  }

  async function reset() {
    if (!window.confirm("Start over? This erases everything done in the playground and brings back the demo community.")) return;
    const status = $("#time-status");
    status.textContent = "Starting over…";
    try {
      await api("POST", "/api/reset", {});
      app.cache.clear();
      app.lastSeen.clear();
      app.unread.clear();
      app.tourDone.clear();
      app.channelId = "";
      for (const key of Object.keys(localStorage)) if (key.startsWith(STORE_CHANNEL)) localStorage.removeItem(key);
      $("#messages").replaceChildren();
      await refresh(true);
      status.textContent = "Started over with the demo community.";
    } catch (e) {
      status.textContent = e.message;
    }
  }

  function findChannelByName(name) {
    const want = String(name || "").replace(/^#/, "").toLowerCase();
    if (!want) return null;
    const chans = app.state.channels;
    if (want === "dm" || want === "kindred") return chans.find((c) => c.kind === "dm") || null;
    return chans.find((c) => c.kind === "text" && c.name.toLowerCase() === want) ||
      chans.find((c) => c.name.toLowerCase() === want) || null;
  }

  async function runTourStep(n) {
    const step = (app.state.tour || [])[n];
    if (!step) return;
    clearError();
    if (NARROW.matches) setTour(false);
    try {
      if (step.as && step.as !== app.as) await switchMember(step.as);
      const c = (step.channel_id && channel(step.channel_id)) || findChannelByName(step.channel);
      if (step.channel && !c) {
        showError(`${(member(app.as) || {}).name || "This member"} cannot see ${step.channel} yet.`);
        return;
      }
      if (c && c.id !== app.channelId) await openChannel(c.id);
      if (step.line) {
        const ok = await send(step.line);
        if (!ok) {
          // Leave the line in the composer to fix and send by hand.
          $("#composer").value = step.line;
          autosize();
        }
        if (ok) app.tourDone.add(n);
      } else {
        app.tourDone.add(n);
      }
      renderTour();
    } catch (e) {
      showError(e.message);
    }
  }

  // ---- Layout toggles -----------------------------------------------------

  function setSidebar(open) {
    document.body.classList.toggle("sidebar-open", open);
    $("#toggle-sidebar").setAttribute("aria-expanded", String(open));
    $("#scrim").hidden = !(open && NARROW.matches);
    if (open && NARROW.matches) {
      const cur = $("#channels a[aria-current]") || $("#channels a");
      if (cur) cur.focus();
    }
  }
  const closeSidebar = () => { if (document.body.classList.contains("sidebar-open")) setSidebar(false); };

  function setTour(open) {
    document.body.classList.toggle("tour-closed", !open);
    $("#toggle-tour").setAttribute("aria-expanded", String(open));
    $("#scrim").hidden = !(NARROW.matches && (open || document.body.classList.contains("sidebar-open")));
    if (open && NARROW.matches) $("#close-tour").focus();
    if (!NARROW.matches) localStorage.setItem(STORE_TOUR, open ? "open" : "closed");
  }

  // ---- Wiring -------------------------------------------------------------

  function wire() {
    $("#member-switch").addEventListener("change", (ev) => switchMember(ev.target.value).catch((e) => showError(e.message)));
    $("#channels").addEventListener("click", (ev) => {
      const a = ev.target.closest("a.channel");
      if (!a) return;
      ev.preventDefault();
      openChannel(a.dataset.channelId);
    });
    $("#messages").addEventListener("click", (ev) => {
      const open = ev.target.closest("[data-open-channel]");
      if (open) {
        ev.preventDefault();
        openChannel(open.dataset.openChannel);
        return;
      }
      const menu = ev.target.closest("button.message-menu");
      if (menu) {
        ev.stopPropagation();
        if (menuFor && menuFor.button === menu) closeMenu(true);
        else { closeMenu(false); openMenu(menu); }
        return;
      }
      const apply = ev.target.closest("button.component-apply");
      if (apply) {
        const sel = apply.parentElement.querySelector(`select[data-custom-id="${CSS.escape(apply.dataset.applyFor)}"]`);
        clickComponent(apply, Array.from(sel.selectedOptions).map((o) => o.value));
        return;
      }
      const btn = ev.target.closest("button.component");
      if (btn && !btn.disabled) clickComponent(btn, []);
    });
    // Images load after the scroll: stay at the bottom if that is where we were.
    $("#messages").addEventListener("scroll", () => {
      const box = $("#messages");
      app.pinned = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
    });
    const keepPinned = () => {
      const box = $("#messages");
      if (app.pinned) box.scrollTop = box.scrollHeight;
    };
    $("#messages").addEventListener("load", keepPinned, true);
    // A narrower window makes messages taller: stay at the bottom then too.
    new ResizeObserver(keepPinned).observe($("#messages"));
    $("#messages").addEventListener("change", (ev) => {
      const sel = ev.target.closest("select.component");
      if (sel && !sel.multiple && sel.value) clickComponent(sel, [sel.value]);
    });

    const menu = $("#message-menu");
    menu.addEventListener("click", (ev) => {
      const b = ev.target.closest("button.message-command");
      if (b) runMessageCommand(b.dataset.name);
    });
    menu.addEventListener("keydown", (ev) => {
      const items = Array.from(menu.querySelectorAll("button"));
      const i = items.indexOf(document.activeElement);
      if (ev.key === "Escape") { ev.preventDefault(); closeMenu(true); }
      else if (ev.key === "ArrowDown") { ev.preventDefault(); items[(i + 1) % items.length].focus(); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
      else if (ev.key === "Tab") closeMenu(false);
    });
    document.addEventListener("click", (ev) => {
      if (!menu.hidden && !menu.contains(ev.target)) closeMenu(false);
    });

    const composer = $("#composer");
    composer.addEventListener("keydown", onComposerKey);
    composer.addEventListener("input", () => {
      sugg.suppressed = false;
      clearError();
      autosize();
      updateSuggestions();
    });
    composer.addEventListener("click", () => updateSuggestions());
    composer.addEventListener("blur", () => setTimeout(() => {
      if (document.activeElement !== composer) closeSuggestions();
    }, 150));
    $("#composer-form").addEventListener("submit", (ev) => { ev.preventDefault(); submitComposer(); });
    const list = $("#suggestions");
    list.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the composer focused
    list.addEventListener("click", (ev) => {
      const li = ev.target.closest("li[role=option]");
      if (li) insert(Number(li.dataset.index));
    });

    $("#modal-form").addEventListener("submit", submitModal);
    $("#modal-cancel").addEventListener("click", () => $("#modal").close());
    // Keep Tab inside the form: the page behind is inert while it is open.
    $("#modal").addEventListener("keydown", (ev) => {
      if (ev.key !== "Tab") return;
      const items = Array.from($("#modal").querySelectorAll("input, textarea, button")).filter((x) => !x.disabled);
      const first = items[0];
      const last = items[items.length - 1];
      if (!ev.shiftKey && document.activeElement === last) {
        ev.preventDefault();
        first.focus();
      } else if (ev.shiftKey && document.activeElement === first) {
        ev.preventDefault();
        last.focus();
      }
    });

    document.querySelectorAll("button[data-skip]").forEach((b) => b.addEventListener("click", () => skip(b)));
    $("#reset").addEventListener("click", reset);
    $("#tour-steps").addEventListener("click", (ev) => {
      const b = ev.target.closest("button.tour-step");
      if (b) runTourStep(Number(b.dataset.step));
    });
    $("#toggle-tour").addEventListener("click", () => setTour(document.body.classList.contains("tour-closed")));
    $("#close-tour").addEventListener("click", () => { setTour(false); $("#toggle-tour").focus(); });
    $("#toggle-sidebar").addEventListener("click", () => setSidebar(!document.body.classList.contains("sidebar-open")));
    $("#scrim").addEventListener("click", () => { setSidebar(false); setTour(false); });
    document.addEventListener("keydown", (ev) => {
      if (ev.key !== "Escape" || $("#modal").open || ev.defaultPrevented) return;
      if (document.body.classList.contains("sidebar-open") && NARROW.matches) { setSidebar(false); $("#toggle-sidebar").focus(); }
      else if (NARROW.matches && !document.body.classList.contains("tour-closed")) { setTour(false); $("#toggle-tour").focus(); }
    });
    NARROW.addEventListener("change", () => {
      applyWidth();
      if (app.state) renderHeader();
    });
  }

  function applyWidth() {
    if (NARROW.matches) {
      setSidebar(false);
      setTour(false);
    } else {
      setSidebar(false);
      setTour(localStorage.getItem(STORE_TOUR) !== "closed");
    }
    $("#scrim").hidden = true;
  }

  function listen() {
    if (!window.EventSource) return;
    const events = new EventSource("/api/events");
    events.addEventListener("change", () => refresh());
    // EventSource reconnects by itself; catch up on what was missed then.
    events.addEventListener("open", () => { if (app.state) refresh(); });
  }

  async function start() {
    wire();
    applyWidth();
    await refresh(true);
    listen();
    setInterval(tick, 1000);
  }

  start();
})();
