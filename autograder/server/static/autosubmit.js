// Deep Linking's answer goes back to the learning platform as a form post; this sends it without
// waiting for a click (the page's button does the same where scripts do not run).
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
