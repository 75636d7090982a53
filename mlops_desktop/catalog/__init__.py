"""The one door to the database: ORM, migrations, repositories, the ingester, the artifact store."""
