"""The web app: a dashboard of server-rendered pages, each with a JSON twin under ``/api``.

``create_app(settings)`` builds the FastAPI application; ``run_server`` serves it with uvicorn.
"""

from tracktwo.web._app import app_from_env, create_app, run_server
from tracktwo.web._settings import WebSettings

__all__ = ["WebSettings", "app_from_env", "create_app", "run_server"]
