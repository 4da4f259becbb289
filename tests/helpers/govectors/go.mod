module gostd-smtp/tests/govectors

go 1.27
