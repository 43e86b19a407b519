// Material's search reads the query on `keyup`. Text that arrives without key events (pasted,
// dropped, committed by a Chinese input method, or typed by a test with insertText) would
// otherwise sit in the box unanswered, so such input also announces a keyup. Material drops a
// query equal to the last one, so ordinary typing is not searched twice.
function announce(event) {
  const box = event.target;
  if (box instanceof HTMLInputElement && box.matches("input.md-search__input") && !event.isComposing) {
    box.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  }
}
document.addEventListener("input", announce);
document.addEventListener("compositionend", announce);
