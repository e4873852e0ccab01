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
        migrations.AlterField(
            model_name='enrichment',
            name='model_version',
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name='workspacemodel',
            name='version',
            field=models.CharField(max_length=200),
        ),
    ]
