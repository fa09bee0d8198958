"""The audit log and the head row of its hash chain."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def head_create(apps, schema_editor):
    apps.get_model("audit", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(default=0)),
                ('hash', models.CharField(blank=True, max_length=64)),
            ],
            options={
                'verbose_name': 'audit chain head',
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(editable=False, unique=True, verbose_name='sequence')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='time')),
                ('kind', models.CharField(choices=[('sign_in', 'signed in'), ('sign_in_failed', 'sign-in failed'), ('sign_out', 'signed out'), ('lockout', 'locked out'), ('account_created', 'account created'), ('account_active_changed', 'account activated or deactivated'), ('role_changed', 'roles changed'), ('group_membership_changed', 'support-group membership changed'), ('password_changed', 'password changed'), ('sessions_revoked', 'sessions signed out everywhere'), ('mfa_enabled', 'multi-factor sign-in enabled'), ('mfa_disabled', 'multi-factor sign-in disabled'), ('mfa_reset', 'multi-factor sign-in reset'), ('token_created', 'API token created'), ('token_revoked', 'API token revoked'), ('token_used', 'API token used'), ('config_changed', 'configuration changed'), ('export', 'data exported')], max_length=32, verbose_name='event')),
                ('actor_username', models.CharField(blank=True, max_length=150, verbose_name="actor's username")),
                ('ip', models.CharField(blank=True, max_length=45, verbose_name='IP address')),
                ('user_agent', models.CharField(blank=True, max_length=255, verbose_name='user agent')),
                ('target_id', models.CharField(blank=True, max_length=64, verbose_name='target id')),
                ('target_text', models.CharField(blank=True, max_length=255, verbose_name='target')),
                ('details', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='details')),
                ('prev_hash', models.CharField(blank=True, editable=False, max_length=64, verbose_name='previous hash')),
                ('hash', models.CharField(editable=False, max_length=64, verbose_name='hash')),
                ('actor', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('target_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='target type')),
            ],
            options={
                'verbose_name': 'audit event',
                'verbose_name_plural': 'audit log',
                'ordering': ['-seq'],
                'base_manager_name': 'objects',
                'indexes': [models.Index(fields=['kind', '-seq'], name='audit_kind_seq'), models.Index(fields=['actor', '-seq'], name='audit_actor_seq'), models.Index(fields=['actor_username', '-seq'], name='audit_username_seq'), models.Index(fields=['at'], name='audit_at')],
            },
        ),
        migrations.RunPython(head_create, migrations.RunPython.noop),
    ]
