#include <sqlite3.h>

/// sqlite3_db_config is variadic, which Swift cannot call: this wraps its integer form.
static inline int agora_sqlite3_db_config_flag(sqlite3 *db, int op, int value) {
    return sqlite3_db_config(db, op, value, (int *)0);
}
