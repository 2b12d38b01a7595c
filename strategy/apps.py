from django.apps import AppConfig


class StrategyConfig(AppConfig):
    verbose_name = "Strategy and delivery plan"
    name = "strategy"
