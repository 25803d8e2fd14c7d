"""Paths of the people app (included at the site root by geo/urls.py)."""

from django.urls import path

from people import views

urlpatterns = [
    path("api/people", views.people, name="people"),
    path("api/people/<int:pk>", views.person, name="person"),
    path("api/people/<int:pk>/followups", views.followups, name="person-followups"),
    path("api/enterprises", views.enterprises, name="enterprises"),
    path("api/enterprises/<int:pk>", views.enterprise, name="enterprise"),
]
