from django.urls import path

from queues.reports import views

urlpatterns = [
    path("", views.index, name="reports"),
    path("<slug:slug>/", views.report, name="report"),
    path("<slug:slug>/<slug:table>.csv", views.report_csv, name="report-csv"),
]
