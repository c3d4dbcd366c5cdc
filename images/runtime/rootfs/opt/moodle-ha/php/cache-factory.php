<?php
// Moodle's cache factory, with our subclasses of two store plugins made where Moodle would make its
// own: Redis as kept_redis_store (cache-redis-store.php: a connection each PHP-FPM worker keeps)
// and APCu as locking_apcu_store (cache-apcu-store.php: locks of its own). Moodle reads a store's
// class from its plugin name (core_cache\config::load), so the class is swapped where the factory
// makes the instance a definition uses; the admin's screens and a store's purge use Moodle's own class.

namespace moodleha\cache;

class factory extends \core_cache\factory {
    /** Moodle's store class => ours. */
    private const CLASSES = [
        'cachestore_redis' => kept_redis_store::class,
        'cachestore_apcu' => locking_apcu_store::class,
    ];

    /** The class a definition's store is made of, for a store of Moodle's class $class (configure.php asks). */
    public static function store_class(string $class): string {
        return self::CLASSES[$class] ?? $class;
    }

    #[\Override]
    public function create_store_from_config($name, array $details, \core_cache\definition $definition) {
        $details['class'] = self::store_class((string) ($details['class'] ?? ''));
        return parent::create_store_from_config($name, $details, $definition);
    }
}
