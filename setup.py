"""Packaging: ship the top-level templates/ and migrations/ inside the servicedesk package."""

from setuptools import find_packages, setup

# The project card keeps templates/ and migrations/ at the top of the repository; the wheel
# puts them inside the package (servicedesk/templates, servicedesk/migrations) so that an
# installed desk finds them beside its code. pyproject.toml cannot map a folder to a package
# name while also discovering packages, hence this file; everything else is in pyproject.toml.
SHIPPED_FOLDERS = {"servicedesk.templates": "templates", "servicedesk.migrations": "migrations"}

setup(
    packages=[*find_packages(include=["servicedesk*", "forms_engine*"]), *SHIPPED_FOLDERS],
    package_dir=SHIPPED_FOLDERS,
)
