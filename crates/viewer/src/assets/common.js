"use strict";
// What every viewer page's script uses, before the page's own.

// An element with attributes (`text` its text, `style` its inline style, `onX` a listener for
// event X) and children; `svg:NAME` makes an SVG element.
function element(tag, attributes, ...children) {
  const e = tag.startsWith("svg:") ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attributes || {})) {
    if (k === "text") e.textContent = v;
    else if (k === "style") e.style.cssText = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}
