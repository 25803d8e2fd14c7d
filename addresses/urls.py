"""Public paths of the addresses app (included at the site root by geo/urls.py)."""

from django.urls import path

from addresses import views

urlpatterns = [
    path("api/addresses/buildings", views.building_create, name="address-building-create"),
    path("api/addresses/rooms", views.room_create, name="address-room-create"),
]
