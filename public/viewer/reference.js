// Starts Swagger UI on /openapi.json for the /docs page (no inline script, so a strict CSP holds).
window.SwaggerUIBundle({
	url: "/openapi.json",
	dom_id: "#reference",
	deepLinking: true,
	persistAuthorization: false,
});
