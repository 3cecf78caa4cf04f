-- Failed sign-ins per email and per client address (rate-limiter-flexible's RateLimiterPostgres
-- layout), shared by every instance of the user service. `expire` is epoch milliseconds.
create table users.login_attempts (
  key varchar(255) primary key,
  points integer not null default 0,
  expire bigint
);
create index login_attempts_expire on users.login_attempts (expire);
