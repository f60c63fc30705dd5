"""The API docs page (`/api/docs`): Swagger UI served from the installed package
(`fastapi-offline` ships its files), never from a CDN, since installations are often
offline; its start-up script is a file of ours, as the Content-Security-Policy allows no
inline script (see `spacegate.hardening`)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/api/docs/assets"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>spacegate API</title>
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
<link rel="icon" href="{ASSETS_URL}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


async def docs_page(_request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


def install_api_docs(app: FastAPI) -> None:
    """Serve the docs page and its assets (public, like the OpenAPI document)."""
    app.add_route("/api/docs", docs_page, include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-docs-assets")
