module gostd-smtp/bench

go 1.27
