from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The admin's sign-in goes through allauth, so its rate limits and session rules apply.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "NSVPP Portal administration"
admin.site.site_title = "NSVPP Portal admin"
admin.site.index_title = "Partnership administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("core.urls")),
    path("", include("partners.urls")),
    path("data/", include("incidents.urls")),
    path("strategy/", include("strategy.urls")),
    path("surveys/", include("surveys.urls")),
    path("evidence/", include("evidence.urls")),
    path("assessments/", include("assessments.urls")),
]

handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
