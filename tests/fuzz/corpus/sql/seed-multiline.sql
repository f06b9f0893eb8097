SELECT
  a AS x,
  upper(s)
FROM
  'x/+'
WHERE
  n = null