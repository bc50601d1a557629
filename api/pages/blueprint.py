"""The pages' blueprint and how a page is rendered (the page modules add their routes to it)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template

API_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = API_DIR / "static"

# The templates stay in api/templates/pages/, beside the other areas' templates.
bp = Blueprint("pages", __name__, template_folder=str(API_DIR / "templates"))


def page(template: str, active: str | None = None, **context) -> str:
    """Render ``templates/pages/<template>``; ``active`` is the endpoint the menu marks as current."""
    return render_template(f"pages/{template}", active=active, **context)
