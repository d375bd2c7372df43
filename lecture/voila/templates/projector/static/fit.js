/* bpkit lecture mode: every app as large as the screen allows, never cut off.

   An app is zoomed to at most --bpkit-zoom (projector.css, by screen size), and
   less when it needs more room than the screen has: across, its narrowest
   layout (the widest row of controls; text wraps and images shrink) must fit;
   down, the app must fit under its section's heading. Fitted again when the
   window changes size; when an app grows (an image loads, an error panel
   opens) it may only shrink, so a status line that wraps as a slider moves
   cannot make the app jump back and forth. */
(function () {
  'use strict';
  var MIN_ZOOM = 0.6; // smaller type than this cannot be read: scroll instead

  function px(value) { return parseFloat(value) || 0; }

  function fit(section, mayGrow) {
    var box = section.querySelector('.bpkit-app');
    var app = box && box.firstElementChild;
    if (!app) return;
    var cs = getComputedStyle(section);
    var heading = box.previousElementSibling;
    var availW = section.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight);
    var availH = window.innerHeight - px(cs.paddingTop) - px(cs.paddingBottom)
      - (heading ? heading.getBoundingClientRect().height : 0) - 8;
    if (availW <= 0) return; // not laid out yet: fitted when it is
    var cap = px(getComputedStyle(box).getPropertyValue('--bpkit-zoom')) || 1;
    var old = px(box.style.zoom);
    // measured unzoomed, at a width the app may not shrink from
    box.style.zoom = '1';
    app.style.flexShrink = '0';
    app.style.width = 'min-content';
    var z = Math.min(cap, availW / app.offsetWidth);
    // laid out as on the page: as wide as its content, at most the screen
    app.style.width = 'max-content';
    app.style.maxWidth = availW / z + 'px';
    var height = box.offsetHeight;
    if (height * z > availH) z = Math.min(z, availH / height);
    app.style.width = app.style.maxWidth = app.style.flexShrink = '';
    z = Math.max(MIN_ZOOM, z);
    if (!mayGrow && old) z = Math.min(z, old);
    box.style.zoom = String(Math.floor(z * 1000) / 1000);
  }

  var pending = new Map();
  var frame = 0;
  function later(section, mayGrow) {
    pending.set(section, pending.get(section) || mayGrow);
    if (!frame) frame = requestAnimationFrame(function () {
      frame = 0;
      var todo = Array.from(pending);
      pending.clear();
      todo.forEach(function (item) { fit(item[0], item[1]); });
    });
  }

  var grown = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var section = entry.target.closest('.bpkit-section');
      if (section) later(section, false);
    });
  });
  var seen = new WeakSet();
  function scan() {
    document.querySelectorAll('.bpkit-section').forEach(function (section) {
      var box = section.querySelector('.bpkit-app');
      var app = box && box.firstElementChild;
      if (app && !seen.has(app)) {
        seen.add(app);
        grown.observe(app);
        later(section, true);
      }
    });
  }
  new MutationObserver(scan).observe(document.documentElement,
                                     { childList: true, subtree: true });
  window.addEventListener('resize', function () {
    document.querySelectorAll('.bpkit-section').forEach(function (section) {
      later(section, true);
    });
  });
})();
