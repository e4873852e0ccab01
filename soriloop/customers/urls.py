from django.urls import path

from soriloop.customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customers_page, name="list"),
    path("customers/<int:customer_id>/", views.customer_page, name="profile"),
]
