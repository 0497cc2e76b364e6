"""The portal's own page for a 405: Django's require_POST answers with an empty body, which the browser shows as a
blank page (an action's address opened from the history or a bookmark). 403 and 404 are templates Django finds
itself (templates/403.html, 404.html)."""

from django.template.loader import render_to_string


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and request.method in ("GET", "HEAD"):
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
