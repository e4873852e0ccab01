from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analysis', '0005_analysis_settings_adapt_report'),
    ]

    operations = [
        migrations.AddField(
            model_name='analysissettings',
            name='sentiment_model',
            field=models.CharField(choices=[('adapted', 'adapted'), ('shipped', 'shipped')], default='adapted', max_length=8),
        ),
    ]
