-- docker-compose only: let the application user create the dashboard's read-only user and test databases,
-- as `salesflow stack up` does for its own MariaDB.
GRANT ALL PRIVILEGES ON *.* TO 'salesflow'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
