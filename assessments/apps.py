from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    verbose_name = "Strategic needs assessments"
    name = "assessments"
