module gostd-smtp/dialtable

go 1.27
