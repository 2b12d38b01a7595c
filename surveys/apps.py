from django.apps import AppConfig


class SurveysConfig(AppConfig):
    verbose_name = "Surveys and engagement"
    name = "surveys"
