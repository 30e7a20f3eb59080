// SafeFrame for Android: a Gradle library module (phase 1 skeleton).
//
// Holds the generated uniffi bindings (src/main/kotlin/dev/safeframe/generated/safeframe.kt,
// written by scripts/generate-bindings), the JNI zero-copy methods (ZeroCopy.kt over
// NativeFrames.kt) and their desktop-JVM tests (src/test/kotlin, run by scripts/test-kotlin
// without Gradle).
//
// Not built here: the Android Gradle Plugin lives on Google's Maven, unreachable from this
// project's CI. Phase 2 adds scripts/package-android, which builds libsafeframe_ffi.so for the
// four Android ABIs into src/main/jniLibs/<abi>/ and assembles the AAR without Gradle.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "dev.safeframe"
    compileSdk = 35

    defaultConfig {
        minSdk = 23
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].java.srcDirs("src/main/kotlin")
    sourceSets["main"].jniLibs.srcDirs("src/main/jniLibs")
    sourceSets["test"].java.srcDirs("src/test/kotlin")

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
}

dependencies {
    // uniffi's Kotlin bindings call the Rust library through JNA (the AAR carries JNA's own
    // Android .so files). 5.13.0 is the version the JVM tests run against.
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    // The suspend functions of the generated bindings.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.8.0")
    // libonnxruntime.so for every ABI, loaded by SafeFrame at run time; keep in step with
    // ORT_VERSION in core/src/runtime.rs.
    implementation("com.microsoft.onnxruntime:onnxruntime-android:1.31.1")
    // SafeFrameAnalyzer implements CameraX's ImageAnalysis.Analyzer; apps that use it have
    // CameraX already, others never load the class. (scripts/check-android compiles the adapters
    // against signature stubs of these classes: android/compile-stubs/.)
    compileOnly("androidx.camera:camera-core:1.4.2")

    testImplementation("junit:junit:4.13.2")
}
