// Lets govuk-frontend's CSS know scripts run (loaded at the top of <body>, no inline script needed).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
