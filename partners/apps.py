from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and people"

    def ready(self) -> None:
        # Connects the receivers that keep each session's second-factor status.
        from core.audit_changes import audited_model_register
        from partners import second_factor  # noqa: F401
        from partners.models import Invitation, Membership, Organisation, Partnership, User

        # Who may do what: every change is audited, old -> new (core.audit_changes).
        audited_model_register(
            User,
            name="user",
            fields=("email", "full_name", "password", "is_active", "is_staff", "is_superuser"),
            hidden=("password",),
            m2m=("groups", "user_permissions"),
        )
        audited_model_register(Organisation, name="organisation")
        audited_model_register(Membership, name="membership")
        audited_model_register(Partnership, name="partnership", exclude=("updated_at",))
        # Creation is audited by partners.services.invitation_create (with who invited whom).
        audited_model_register(
            Invitation, name="invitation", exclude=("token_hash",), events=("changed", "deleted")
        )
